import { isObject } from "../format/wire";
import { parseProjectionExpression } from "../expressions/parser";
import { resolvePath } from "../expressions/field-relation";
import type { BeaconMatch } from "./beacon-match";
import { EncryptionError } from "../errors/encryption-error";

/**
 * Adds to a ProjectionExpression the top-level attribute of each field whose
 * truncated beacon a request searches, so that false positives can be told
 * apart after decrypting; returns the attributes added, which are removed from
 * the returned items again. `AttributesToGet` with such a search is refused.
 */
export function projectMatchedFields(
  scope: Record<string, unknown>,
  matches: readonly BeaconMatch[] | undefined,
): string[] {
  if (!matches || matches.length === 0) return [];
  if (Array.isArray(scope.AttributesToGet))
    throw new EncryptionError(
      "beacon.unsupportedQuery",
      "A beacon lookup cannot be combined with the legacy AttributesToGet: use ProjectionExpression. Nothing was sent.",
      { field: matches[0]!.field.path },
    );
  const expression = scope.ProjectionExpression;
  if (typeof expression !== "string") return [];
  const paths = parseProjectionExpression(expression).map((p) =>
    resolvePath(p, scope.ExpressionAttributeNames),
  );
  const projected = new Set(paths.filter((p) => p.length === 1).map((p) => p[0]));
  for (const { field } of matches) {
    const root = (field.segments[0] as { name: string }).name;
    const covers = (p: (string | number)[]) =>
      p.every((step, i) => {
        const s = field.segments[i];
        return s?.kind === "attr" && s.name === step;
      });
    // Precondition: a projection that names part of the field's root map returns the field only if it names the field or a map above it.
    if (!projected.has(root) && paths.some((p) => p[0] === root) && !paths.some(covers))
      throw new EncryptionError(
        "beacon.unsupportedQuery",
        `The ProjectionExpression names part of "${root}" but not "${field.path}", which the lookup compares: add "${field.path}" (or "${root}") so that false positives can be removed. Nothing was sent.`,
        { field: field.path },
      );
  }
  const names: Record<string, unknown> = isObject(scope.ExpressionAttributeNames)
    ? { ...scope.ExpressionAttributeNames }
    : {};
  const added: string[] = [];
  const placeholders: string[] = [];
  for (const { field } of matches) {
    const root = (field.segments[0] as { name: string }).name;
    // A path into the root already returns the field (checked above); adding the root beside it would overlap, which DynamoDB refuses.
    if (added.includes(root) || paths.some((p) => p[0] === root)) continue;
    let placeholder = `#dfe_m${added.length}`;
    for (let i = 1; placeholder in names; i++) placeholder = `#dfe_m${added.length}_${i}`;
    names[placeholder] = root;
    placeholders.push(placeholder);
    added.push(root);
  }
  if (added.length === 0) return [];
  scope.ProjectionExpression = `${expression}, ${placeholders.join(", ")}`;
  scope.ExpressionAttributeNames = names;
  return added;
}
