import { EncryptionError } from "../errors/encryption-error";
import type { PathSegment } from "../config/field-path";

/** A document path in an expression: attribute names, and list indexes as numbers. */
export type DocumentPath = (string | number)[];

const KEYWORDS = new Set(["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"]);

type Token =
  | { kind: "name"; text: string }
  | { kind: "value" }
  | { kind: "index"; value: number }
  | { kind: "punct"; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s+|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|\[\s*(\d+)\s*\]|(<>|<=|>=|[=<>(),.+-])/y;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < expression.length) {
    re.lastIndex = at;
    match = re.exec(expression);
    if (!match)
      throw new EncryptionError(
        "expression.unsupportedOnEncrypted",
        `Cannot analyse the expression at character ${at}; nothing was sent`,
      );
    at = re.lastIndex;
    if (match[1] !== undefined || match[3] !== undefined)
      tokens.push({ kind: "name", text: (match[1] ?? match[3])! });
    else if (match[2] !== undefined) tokens.push({ kind: "value" });
    else if (match[4] !== undefined) tokens.push({ kind: "index", value: Number(match[4]) });
    else if (match[5] !== undefined) tokens.push({ kind: "punct", text: match[5] });
  }
  return tokens;
}

/**
 * Every document path an expression refers to (condition, filter, key
 * condition, update or projection), with `#name` placeholders resolved.
 * Function names and keywords are not paths. This is deliberately broad: a
 * later release analyses expressions with a full grammar; until then any path
 * that might touch an encrypted field is reported.
 */
export function expressionPaths(expression: string, names: unknown): DocumentPath[] {
  const lookup = (typeof names === "object" && names !== null ? names : {}) as Record<
    string,
    unknown
  >;
  const resolve = (text: string): string => {
    if (!text.startsWith("#")) return text;
    const name = lookup[text];
    if (typeof name !== "string") {
      throw new EncryptionError(
        "expression.unsupportedOnEncrypted",
        `The expression uses ${text}, which ExpressionAttributeNames does not define; nothing was sent`,
      );
    }
    return name;
  };
  const tokens = tokenize(expression);
  const paths: DocumentPath[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== "name") continue;
    const previous = tokens[i - 1];
    if (previous?.kind === "punct" && previous.text === ".") continue;
    const next = tokens[i + 1];
    if (next?.kind === "punct" && next.text === "(") continue; // a function
    if (!token.text.startsWith("#") && KEYWORDS.has(token.text.toUpperCase())) continue;
    const path: DocumentPath = [resolve(token.text)];
    let j = i + 1;
    for (;;) {
      const t = tokens[j];
      if (t?.kind === "index") {
        path.push(t.value);
        j += 1;
      } else if (t?.kind === "punct" && t.text === "." && tokens[j + 1]?.kind === "name") {
        path.push(resolve((tokens[j + 1] as { text: string }).text));
        j += 2;
      } else break;
    }
    paths.push(path);
    i = j - 1;
  }
  return paths;
}

function segmentMatches(segment: PathSegment, step: string | number): boolean {
  return segment.kind === "each" ? typeof step === "number" : step === segment.name;
}

/** True when a document path and a field path name overlapping places (one contains the other). */
export function overlapsField(path: DocumentPath, field: readonly PathSegment[]): boolean {
  const n = Math.min(path.length, field.length);
  for (let i = 0; i < n; i++) if (!segmentMatches(field[i]!, path[i]!)) return false;
  return true;
}

/** True when a document path points strictly inside a field's encrypted value. */
export function isInsideField(path: DocumentPath, field: readonly PathSegment[]): boolean {
  return path.length > field.length && overlapsField(path, field);
}
