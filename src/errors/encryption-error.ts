import type { EncryptionErrorCode } from "./error-codes";

/** An item of a response that could not be decrypted, named by its key; never a value. */
export interface UndecryptableItem {
  /** The table's name as the request gave it. */
  table: string;
  /** The configured field path whose value failed. */
  field: string;
  /** The item's key attributes as AttributeValues (`{ pk: { S: "user#1" } }`). */
  key: Record<string, unknown>;
  /** Why it failed. */
  code: EncryptionErrorCode;
}

/** Where an error happened, when known. Never values: only names. */
export interface EncryptionErrorDetails {
  /** The table's name as the request gave it. */
  table?: string;
  /** The configured field path, such as `card.number` or `addresses[].zip`. */
  field?: string;
  /** The attribute (or request location) an error is about, such as where a copy of a field's plaintext was found. */
  attribute?: string;
  /** The underlying KMS or crypto error. */
  cause?: unknown;
  /** For a response whose values failed to decrypt: each failed item (at most 100). */
  items?: readonly UndecryptableItem[];
}

/**
 * The one error class of this library. `code` is stable and namespaced; the
 * message says what to do, and never contains plaintext, data keys or items.
 */
export class EncryptionError extends Error {
  override readonly name = "EncryptionError";
  readonly code: EncryptionErrorCode;
  readonly table: string | undefined;
  readonly field: string | undefined;
  /** The attribute or request location the error is about, when it is not the field itself (`plaintext.copied`). */
  readonly attribute: string | undefined;
  /** For a response whose values failed to decrypt: each failed item, by key and field. */
  readonly items: readonly UndecryptableItem[] | undefined;

  constructor(code: EncryptionErrorCode, message: string, details: EncryptionErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.table = details.table;
    this.field = details.field;
    this.attribute = details.attribute;
    this.items = details.items;
  }

  /** True for an EncryptionError, with an optional code to match. */
  static is(error: unknown, code?: EncryptionErrorCode): error is EncryptionError {
    return error instanceof EncryptionError && (code === undefined || error.code === code);
  }
}

/**
 * Precondition helper: throws an EncryptionError when `condition` is false.
 * Callers put a comment above each use saying why the condition must hold.
 */
export function needs(
  condition: unknown,
  code: EncryptionErrorCode,
  message: string,
  details?: EncryptionErrorDetails,
): asserts condition {
  if (!condition) throw new EncryptionError(code, message, details);
}
