import type { PathSegment } from "../config/field-path";
import { isObject, type WireItem, type WireValue } from "../format/wire";

/** A place that holds one value of a field: `holder[prop]`. */
export interface FieldSlot {
  holder: Record<string, unknown> | unknown[];
  prop: string | number;
  value: WireValue;
}

/** Called when a value on the way to a field has another shape than the path needs (a string where a map should be). */
export type ShapeMismatch = (depth: number, value: unknown) => void;

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function walk(
  holder: Record<string, unknown> | unknown[],
  prop: string | number,
  depth: number,
  segments: readonly PathSegment[],
  visit: (slot: FieldSlot) => void,
  mismatch: ShapeMismatch | undefined,
): void {
  const value = (holder as Record<string | number, unknown>)[prop];
  if (value === undefined) return;
  if (depth === segments.length) {
    visit({ holder, prop, value: value as WireValue });
    return;
  }
  const segment = segments[depth]!;
  const v = value as Record<string, unknown>;
  if (segment.kind === "attr" && isObject(v) && isObject(v.M)) {
    if (has(v.M, segment.name)) walk(v.M, segment.name, depth + 1, segments, visit, mismatch);
  } else if (segment.kind === "each" && isObject(v) && Array.isArray(v.L)) {
    for (let i = 0; i < v.L.length; i++) walk(v.L, i, depth + 1, segments, visit, mismatch);
  } else if (mismatch && !(isObject(v) && v.NULL === true)) {
    mismatch(depth, value);
  }
}

/**
 * Calls `visit` for every value a field path names in an item. `list[]` visits
 * each element; a missing attribute or a NULL has nothing to visit. A value of
 * another shape than the path expects (a string where a map should be) has
 * nothing to visit either, and is reported to `mismatch` when given: writers
 * refuse it, since the secret may sit in that value unencrypted.
 */
export function forEachSlot(
  item: WireItem,
  segments: readonly PathSegment[],
  visit: (slot: FieldSlot) => void,
  mismatch?: ShapeMismatch,
): void {
  const first = segments[0];
  if (first?.kind === "attr" && has(item, first.name))
    walk(item, first.name, 1, segments, visit, mismatch);
}
