import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { MAX_PATTERN_INPUT } from "../tenancy/attribute-text";
import { matchKey } from "./beacon-match";
import type { BeaconWrite } from "./beacon-writes";
import type { CompositeBinding } from "./resolve-composites";

/** The shortest field value searched for around the embedded text (the copy guard's default minimum). */
export const MIN_REPEAT_LENGTH = 6;

/** Where a composite value embeds its field: the capture group's span and text. */
export interface CompositeMatch {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly captured: string;
}

function at(table: ResolvedTable, binding: CompositeBinding) {
  return { table: table.name, field: binding.field.path };
}

/**
 * Where `value` embeds the field, or undefined when it is not a string the
 * pattern matches (then it holds no embedded value: other entities of a
 * single-table design share the attribute with other prefixes). A string
 * longer than a pattern may run on is refused: it cannot be shown to embed nothing.
 */
export function matchComposite(
  table: ResolvedTable,
  binding: CompositeBinding,
  value: unknown,
): CompositeMatch | undefined {
  const text = (value as { S?: unknown } | null | undefined)?.S;
  if (typeof text !== "string" || Object.keys(value as object).length !== 1) return undefined;
  // Precondition: a pattern runs on at most 2,048 characters (DynamoDB's key limit), so no value makes it search for long.
  if (text.length > MAX_PATTERN_INPUT)
    throw new EncryptionError(
      "beacon.compositeMismatch",
      `A value of "${binding.composite.attribute}", which may embed the encrypted field "${binding.field.path}", is longer than the ${MAX_PATTERN_INPUT} characters its pattern runs on. Nothing was sent.`,
      at(table, binding),
    );
  const match = binding.composite.pattern.exec(text);
  const span = match?.indices?.[1];
  if (!match || match[1] === undefined || !span) return undefined;
  return { text, start: span[0], end: span[1], captured: match[1] };
}

/**
 * Whether a prefix or range bound that the pattern does not match may still
 * reach into the embedded value (`$app#email_ja` for `^\$app#email_(.+)$`):
 * it does when it runs past the pattern's literal prefix, and whenever the
 * pattern has no literal prefix the plugin can read.
 */
export function reachesCapture(binding: CompositeBinding, value: unknown): boolean {
  const text = (value as { S?: unknown } | null | undefined)?.S;
  if (typeof text !== "string") return false;
  const prefix = binding.composite.literalPrefix;
  if (prefix === undefined) return true;
  // In any letter case: a key built with other casing than the pattern's must not slip past as unmatched.
  return text.toLowerCase().startsWith(prefix.toLowerCase()) && text.length > prefix.length;
}

/** The captured text as the field's value, for its beacon and for comparing with decrypted items. */
export function capturedValue(match: CompositeMatch): { S: string } {
  return { S: match.captured };
}

/** The text around the embedded value, and the caller's part of it (without the pattern's literal prefix, which is config). */
function surroundings(
  binding: CompositeBinding,
  match: CompositeMatch,
): Pick<BeaconWrite, "around" | "callerText"> {
  const prefix = binding.composite.literalPrefix ?? "";
  const skip = match.text.startsWith(prefix) ? prefix.length : 0;
  const after = match.text.slice(match.end);
  return {
    around: [match.text.slice(0, match.start), after],
    callerText: [match.text.slice(skip, match.start), after],
  };
}

/** Plans writing `{ S: prefix + beacon + suffix }` to `holder[prop]` for a matched composite. */
function planReplacement(
  table: ResolvedTable,
  binding: CompositeBinding,
  match: CompositeMatch,
  holder: Record<string, unknown>,
  prop: string,
  writes: BeaconWrite[],
): void {
  writes.push({
    table,
    field: binding.field,
    value: capturedValue(match),
    holder,
    prop,
    ...surroundings(binding, match),
  });
}

/**
 * A composite attribute written with `value` (at `holder[prop]`) in a
 * request that writes the field as `written` (undefined when the request
 * does not write the field). A value the pattern does not match passes. A
 * match must embed the field's value from the same request, equal after the
 * beacon's normalisation; the captured text is then replaced by the beacon.
 * Otherwise refused with `beacon.compositeMismatch`: the plugin cannot show
 * that the embedded text is what it replaces.
 */
export function planCompositeWrite(
  table: ResolvedTable,
  binding: CompositeBinding,
  value: unknown,
  written: unknown,
  holder: Record<string, unknown>,
  prop: string,
  writes: BeaconWrite[],
): void {
  const match = matchComposite(table, binding, value);
  const { attribute } = binding.composite;
  const field = binding.field.path;
  const mismatch = (why: string) =>
    new EncryptionError(
      "beacon.compositeMismatch",
      `"${attribute}" ${why}. Nothing was sent.`,
      at(table, binding),
    );
  if (!match) {
    // A value that runs past the literal prefix without matching (an email holding the pattern's delimiter) would go out as it is.
    if (reachesCapture(binding, value))
      throw mismatch(
        `runs into where the encrypted field "${field}" is embedded without matching its pattern, so the plugin cannot tell the embedded text`,
      );
    return;
  }
  // Absent or NULL: no value (the check beacon-writes.ts's isNoValue makes, which imports this module).
  if (
    written === undefined ||
    (typeof written === "object" && written !== null && "NULL" in written)
  )
    throw mismatch(
      `matches the pattern that embeds the encrypted field "${field}", but the request does not write "${field}" (or writes back a value it cannot read), so the plugin cannot check the embedded text or replace it by its beacon. Write "${field}" in the same request`,
    );
  const text = (written as { S?: unknown }).S;
  if (typeof text !== "string" || /^enc:/i.test(match.captured) || /^enc:/i.test(text))
    throw mismatch(
      `embeds the encrypted field "${field}", which must be a string written as plaintext (not stored ciphertext)`,
    );
  // Precondition: only the captured text becomes the beacon, so the text around it must not repeat the value.
  // The pattern's literal prefix is config, not data; values shorter than the copy check's minimum are skipped.
  const caller = surroundings(binding, match).callerText!;
  const around = `${caller[0]}\0${caller[1]}`.toLowerCase();
  const plain = text.trim().toLowerCase();
  if (plain.length >= MIN_REPEAT_LENGTH && around.includes(plain))
    throw mismatch(
      `holds the value of the encrypted field "${field}" again outside the part its pattern captures, which would be sent in plaintext`,
    );
  if (
    matchKey(table, binding.field, written) === matchKey(table, binding.field, capturedValue(match))
  )
    return planReplacement(table, binding, match, holder, prop, writes);
  // An item read back holds the composite as stored: accepted unchanged when it embeds exactly the beacon of the field written.
  writes.push({
    table,
    field: binding.field,
    value: written,
    holder,
    prop,
    ...surroundings(binding, match),
    check: (beacon) => {
      if (beacon !== match.captured)
        throw mismatch(
          `embeds a text that is neither the value of the encrypted field "${field}" written in the same request (compared after the beacon's normalisation) nor its beacon`,
        );
    },
  });
}

/**
 * Precondition, after a request scope is planned: no `:value` left in
 * `ExpressionAttributeValues` embeds a field the way one of the table's
 * composite patterns matches, unless it is a composite written by an update,
 * whose embedded text the plugin replaces. A matched value that another term
 * also uses, or that no expression uses, would go out with the embedded
 * plaintext.
 */
export function checkLeftoverComposites(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  writes: readonly BeaconWrite[],
): void {
  const values = scope.ExpressionAttributeValues;
  if (table.compositeAttributes.size === 0 || typeof values !== "object" || values === null) return;
  for (const [name, value] of Object.entries(values))
    for (const binding of table.compositeAttributes.values()) {
      const embeds =
        matchComposite(table, binding, value) ||
        (binding.composite.literalPrefix !== undefined && reachesCapture(binding, value));
      if (!embeds) continue;
      if (writes.some((w) => w.holder === values && w.prop === name && w.around)) continue;
      throw new EncryptionError(
        "beacon.unsupportedQuery",
        `${name} embeds a value the way "${binding.composite.attribute}" embeds the encrypted field "${binding.field.path}", but it is not (only) a lookup or write of that attribute, or no expression uses it: it would be sent in plaintext. Use a separate :value for each term. Nothing was sent.`,
        at(table, binding),
      );
    }
}

/** The beacon lookup a matched composite value becomes: its replacement planned, and the value returned items must hold. */
export function planCompositeLookup(
  table: ResolvedTable,
  binding: CompositeBinding,
  match: CompositeMatch,
  holder: Record<string, unknown>,
  prop: string,
  writes: BeaconWrite[],
): string {
  planReplacement(table, binding, match, holder, prop, writes);
  return matchKey(table, binding.field, capturedValue(match));
}
