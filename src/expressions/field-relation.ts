import type { PathSegment } from "../config/field-path";
import type { ResolvedField } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import type { PathNode } from "./ast";

/** A document path with `#names` resolved: attribute names, and list indexes as numbers. */
export type DocumentPath = (string | number)[];

/** Resolves a parsed path's `#placeholders` through ExpressionAttributeNames. */
export function resolvePath(path: PathNode, names: unknown): DocumentPath {
  const lookup = (typeof names === "object" && names !== null ? names : {}) as Record<
    string,
    unknown
  >;
  return path.steps.map((step) => {
    if (step.kind === "index") return step.index;
    if (step.kind === "name") return step.text;
    const name = lookup[step.text];
    if (typeof name !== "string") {
      throw new EncryptionError(
        "expression.unsupportedOnEncrypted",
        `The expression uses ${step.text}, which ExpressionAttributeNames does not define. Nothing was sent.`,
      );
    }
    return name;
  });
}

/** How a document path relates to the encrypted fields of a table. */
export type FieldRelation =
  | { kind: "none" }
  /** The path names an encrypted value (a list index standing for `[]`). */
  | { kind: "exact"; field: ResolvedField }
  /** The path points inside an encrypted value, which is opaque ciphertext. */
  | { kind: "inside"; field: ResolvedField }
  /** The path holds encrypted values below it; `remaining` leads from it to each. */
  | { kind: "ancestor"; below: { field: ResolvedField; remaining: readonly PathSegment[] }[] };

function stepMatches(segment: PathSegment, step: string | number): boolean {
  return segment.kind === "each" ? typeof step === "number" : step === segment.name;
}

export function relate(path: DocumentPath, fields: readonly ResolvedField[]): FieldRelation {
  const below: { field: ResolvedField; remaining: readonly PathSegment[] }[] = [];
  for (const field of fields) {
    const segments = field.segments;
    const n = Math.min(path.length, segments.length);
    let matches = true;
    for (let i = 0; i < n && matches; i++) matches = stepMatches(segments[i]!, path[i]!);
    if (!matches) continue;
    if (path.length === segments.length) return { kind: "exact", field };
    if (path.length > segments.length) return { kind: "inside", field };
    below.push({ field, remaining: segments.slice(path.length) });
  }
  return below.length > 0 ? { kind: "ancestor", below } : { kind: "none" };
}

/** The path as text for messages: names only, never values. */
export function pathText(path: DocumentPath): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** The encrypted field a path is, is inside, or (the first one) holds; undefined when it touches none. */
export function encryptedFieldOf(relation: FieldRelation): ResolvedField | undefined {
  if (relation.kind === "none") return undefined;
  return relation.kind === "ancestor" ? relation.below[0]!.field : relation.field;
}
