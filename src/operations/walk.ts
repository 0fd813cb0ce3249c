import { isObject } from "../format/wire";

/** What a `*` or `[]` step of a path matched on the way to a value. */
export interface WalkContext {
  mapKey?: string;
  index?: number;
}

/** Calls `visit` for every value at `path` in `root` (see operation-map.ts for the path syntax). */
export function walk(
  root: unknown,
  path: readonly string[],
  visit: (value: unknown, context: WalkContext, holder: unknown, prop: string | number) => void,
): void {
  const step = (
    holder: unknown,
    prop: string | number,
    value: unknown,
    depth: number,
    context: WalkContext,
  ): void => {
    if (value === undefined) return;
    if (depth === path.length) return visit(value, context, holder, prop);
    const segment = path[depth]!;
    if (segment === "*") {
      if (isObject(value))
        for (const [k, v] of Object.entries(value))
          step(value, k, v, depth + 1, { ...context, mapKey: k });
    } else if (segment === "[]") {
      if (Array.isArray(value))
        value.forEach((v, i) => step(value, i, v, depth + 1, { ...context, index: i }));
    } else if (isObject(value)) {
      step(value, segment, value[segment], depth + 1, context);
    }
  };
  step(undefined, "", root, 0, {});
}
