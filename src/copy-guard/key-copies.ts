import type { ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import type { WireItem } from "../format/wire";
import { CopyNeedles } from "./copy-needles";
import { CopyMatcher } from "./find-copy";

/** What a report prints in place of a key attribute that holds a copy of a secret. */
export const REDACTED_KEY_VALUE = { S: "[redacted: holds a copy]" } as const;

/** A key attribute's text (S, N, or B as UTF-8). */
function keyText(value: unknown): string | undefined {
  const v = value as { S?: unknown; N?: unknown; B?: unknown } | undefined;
  if (typeof v?.S === "string") return v.S;
  if (typeof v?.N === "string") return v.N;
  if (typeof v?.B === "string") return Buffer.from(v.B, "base64").toString("utf8");
  return undefined;
}

/** The item's key attributes whose text holds one of the needles. */
export function keyAttributesWithCopies(
  table: ResolvedTable,
  item: WireItem,
  needles: CopyNeedles,
): string[] {
  if (needles.needles.length === 0) return [];
  const matcher = new CopyMatcher(needles.needles);
  return [table.partitionKey, table.sortKey].filter((name): name is string => {
    const text = name === undefined ? undefined : keyText(item[name]);
    return text !== undefined && matcher.find(text) !== undefined;
  });
}

/** `key` with the named attributes replaced by {@link REDACTED_KEY_VALUE}: a report must not print the plaintext. */
export function redactKey(key: WireItem, attributes: readonly string[]): WireItem {
  const out = { ...key };
  for (const name of attributes) if (name in out) out[name] = { ...REDACTED_KEY_VALUE };
  return out;
}

/**
 * An item's key as a failure report may print it (import lines), whatever
 * the failure: a key attribute holding the plaintext of one of the item's
 * (still unencrypted) configured values is redacted. Values that are `ENC:`
 * text give no needle.
 */
export function printableKey(table: ResolvedTable, item: WireItem, key: WireItem): WireItem {
  const needles = new CopyNeedles();
  for (const field of table.fields) addPlaintextNeedles(needles, table, field, item);
  return redactKey(key, keyAttributesWithCopies(table, item, needles));
}

/**
 * Adds the needles of one field's values in `item`, leaving out values that
 * are `ENC:` text (a ciphertext that did not decrypt, or was never
 * decrypted): their plaintext is unknown, and their text is no plaintext.
 */
export function addPlaintextNeedles(
  needles: CopyNeedles,
  table: ResolvedTable,
  field: ResolvedTable["fields"][number],
  item: WireItem,
): void {
  forEachSlot(item, field.segments, (slot) => {
    const text = (slot.value as { S?: unknown }).S;
    if (typeof text !== "string" || !text.startsWith("ENC:")) needles.add(table, field, slot.value);
  });
}
