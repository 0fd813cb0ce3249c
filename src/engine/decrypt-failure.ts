import { EncryptionError, type UndecryptableItem } from "../errors/encryption-error";
import type { EncryptionErrorCode } from "../errors/error-codes";

/**
 * Codes that say something about one stored value rather than about KMS or
 * the request: a bad value fails its item, and with
 * `undecryptableItems: "skip"` only its item. Anything else (throttling,
 * access denied, an outage) fails the whole response.
 */
const VALUE_CODES: ReadonlySet<EncryptionErrorCode> = new Set<EncryptionErrorCode>([
  "ciphertext.malformed",
  "ciphertext.unsupportedVersion",
  "ciphertext.tampered",
  "ciphertext.plaintextNotAllowed",
  "ciphertext.formatNotAllowed",
  "value.invalid",
  "kms.invalidCiphertext",
  "kms.incorrectKey",
  "key.unknownLocalKey",
  "item.keyInvalid",
  "item.keyMissing",
  // A stored item whose attributes do not choose a key for it (its tenant unmapped, the attribute missing or malformed).
  "tenant.attributeMissing",
  "tenant.attributeInvalid",
  "tenant.keyUnmapped",
]);

/** True when `error` is about one stored value, not about KMS or the request. */
export function isValueFailure(error: unknown): error is EncryptionError {
  return error instanceof EncryptionError && VALUE_CODES.has(error.code);
}

/** How many failed items an error lists in its `items` detail. */
const MAX_LISTED = 100;

/**
 * The error of a response in which values failed to decrypt: the first
 * failure's code, and every failed item's key and field in `items` (never a
 * value), so the caller knows which items to repair.
 */
export function undecryptableError(
  failures: readonly { item: UndecryptableItem; error: EncryptionError }[],
): EncryptionError {
  const first = failures[0]!;
  const more =
    failures.length > 1
      ? ` (${failures.length} items failed; the error's items detail names each by key and field)`
      : "";
  return new EncryptionError(first.error.code, `${first.error.message}${more}`, {
    table: first.item.table,
    field: first.item.field,
    cause: first.error,
    items: failures.slice(0, MAX_LISTED).map((f) => f.item),
  });
}
