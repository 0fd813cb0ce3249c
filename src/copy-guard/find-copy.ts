import { EncryptionError } from "../errors/encryption-error";
import type { Needle } from "./copy-needles";

/**
 * The search itself, pure: the first needle found inside `text`, ignoring
 * letter case, or undefined. The text is lowercased once; each needle is a
 * substring search (V8's `includes`), so a request with a few encrypted
 * values and a dozen other strings costs microseconds. Precondition: the
 * needles are lowercased already ({@link CopyNeedles.add} does it).
 */
export function findCopy(needles: readonly Needle[], text: string): Needle | undefined {
  const lower = text.toLowerCase();
  for (const needle of needles) if (lower.includes(needle.text)) return needle;
  return undefined;
}

/** The refusal: names where the copy is and which field it copies, never the value. */
export function copyRefused(needle: Needle, attribute: string): EncryptionError {
  return new EncryptionError(
    "plaintext.copied",
    `${attribute} holds a copy of the encrypted field "${needle.field}" of ${needle.table} in plaintext (compared ignoring case and surrounding whitespace). Nothing was sent. Keep the field out of other attributes (an ORM's composite key, a denormalised copy, a condition on another attribute); for a lookup, give the field a beacon. If the copy is intended, the field's copyGuard: false switches this check off (unsafe).`,
    { table: needle.table, field: needle.field, attribute },
  );
}
