import { EncryptionError } from "../errors/encryption-error";

/** One step of a field path: a map key, or every element of a list. */
export type PathSegment = { kind: "attr"; name: string } | { kind: "each" };

const ESCAPABLE = new Set([".", "[", "]", "\\"]);

/**
 * Parses a field path: `a.b.c` names nested map keys, `list[]` every element
 * of a list, and `\.`, `\[`, `\]`, `\\` escape those characters in a name.
 * `where` is the config location reported on error.
 */
export function parseFieldPath(path: string, where: string): PathSegment[] {
  const fail = (why: string) =>
    new EncryptionError("config.invalid", `${where}: invalid field path: ${why}`);
  const segments: PathSegment[] = [];
  let name = "";
  let inName = true;
  let i = 0;
  const endName = () => {
    if (name === "") throw fail("empty attribute name");
    segments.push({ kind: "attr", name });
    name = "";
  };
  while (i < path.length) {
    const c = path[i]!;
    if (c === "\\") {
      const next = path[i + 1];
      if (next === undefined || !ESCAPABLE.has(next))
        throw fail(`"\\" must be followed by one of . [ ] \\ (at ${i})`);
      if (!inName) throw fail(`expected "." or "[]" at ${i}`);
      name += next;
      i += 2;
    } else if (c === ".") {
      if (inName) endName();
      inName = true;
      i += 1;
    } else if (c === "[") {
      if (path[i + 1] !== "]")
        throw fail(`"[" must be "[]" (every element); escape it as "\\[" in a name (at ${i})`);
      if (inName) endName();
      segments.push({ kind: "each" });
      inName = false;
      i += 2;
    } else if (c === "]") {
      throw fail(`unexpected "]" at ${i}; escape it as "\\]" in a name`);
    } else {
      if (!inName) throw fail(`expected "." or "[]" at ${i}`);
      name += c;
      i += 1;
    }
  }
  if (inName) endName();
  if (segments[0]?.kind !== "attr") throw fail("a path starts with an attribute name");
  return segments;
}

/** True when `prefix` names the same place as the start of `path`. */
export function isPathPrefix(
  prefix: readonly PathSegment[],
  path: readonly PathSegment[],
): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((s, i) => {
    const t = path[i]!;
    return s.kind === t.kind && (s.kind === "each" || s.name === (t as { name: string }).name);
  });
}
