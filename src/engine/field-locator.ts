import type { PathSegment } from "../config/field-path";
import { isObject, type WireItem, type WireValue } from "../format/wire";

/** A place that holds one value of a field: `holder[prop]`. */
export interface FieldSlot {
  holder: Record<string, unknown> | unknown[];
  prop: string | number;
  value: WireValue;
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function walk(
  holder: Record<string, unknown> | unknown[],
  prop: string | number,
  depth: number,
  segments: readonly PathSegment[],
  visit: (slot: FieldSlot) => void,
): void {
  const value = (holder as Record<string | number, unknown>)[prop];
  if (value === undefined) return;
  if (depth === segments.length) {
    visit({ holder, prop, value: value as WireValue });
    return;
  }
  if (!isObject(value)) return;
  const segment = segments[depth]!;
  if (segment.kind === "attr") {
    if (isObject(value.M) && has(value.M, segment.name))
      walk(value.M, segment.name, depth + 1, segments, visit);
  } else if (Array.isArray(value.L)) {
    for (let i = 0; i < value.L.length; i++) walk(value.L, i, depth + 1, segments, visit);
  }
}

/**
 * Calls `visit` for every value a field path names in an item. `list[]` visits
 * each element; a missing attribute, or a value of another shape than the
 * path expects (a string where a map should be), has nothing to visit.
 */
export function forEachSlot(
  item: WireItem,
  segments: readonly PathSegment[],
  visit: (slot: FieldSlot) => void,
): void {
  const first = segments[0];
  if (first?.kind === "attr" && has(item, first.name)) walk(item, first.name, 1, segments, visit);
}
