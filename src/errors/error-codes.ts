/**
 * Every code an {@link EncryptionError} can carry. Codes are stable: match on
 * them, never on message text. `docs/errors.md` explains each one.
 */
export const ERROR_CODES = [
  // The configuration given to fieldEncryption().
  "config.invalid",
  "config.registeredWithAdd",
  "config.unsupportedSdk",
  // Modes.
  "mode.readOnlyWrite",
  // Requests the plugin cannot prove safe.
  "operation.unsupported",
  "operation.unknown",
  "expression.unsupportedOnEncrypted",
  "expression.tooComplex",
  // Beacons (blind indexes).
  "beacon.attributeWrite",
  "beacon.unsupportedValue",
  "beacon.unsupportedQuery",
  "beacon.indexRequired",
  "beacon.conditionNotExact",
  "beacon.compositeMismatch",
  // Tables named outside a request (item API, streams, exports).
  "table.unknown",
  // A table named in a request in another letter case than configured.
  "table.nameAmbiguous",
  // Items and values.
  "item.keyMissing",
  "item.keyInvalid",
  "item.tooLarge",
  "value.invalid",
  "value.tooLarge",
  "value.unsupportedType",
  // An encrypted value's plaintext copied into what a write sends unencrypted.
  "plaintext.copied",
  // Keys and contexts chosen per item (multi-tenant).
  "tenant.attributeMissing",
  "tenant.attributeInvalid",
  "tenant.keyUnmapped",
  "tenant.keyInvalid",
  "tenant.attributeChanged",
  // Stored values.
  "ciphertext.malformed",
  "ciphertext.unsupportedVersion",
  "ciphertext.tampered",
  "ciphertext.plaintextNotAllowed",
  "ciphertext.formatNotAllowed",
  // Key providers and KMS.
  "kms.keyNotFound",
  "kms.accessDenied",
  "kms.keyDisabled",
  "kms.invalidCiphertext",
  "kms.incorrectKey",
  "kms.throttled",
  "kms.failed",
  "kms.tooManyCalls",
  "key.unknownLocalKey",
  // Wire bodies the plugin could not read.
  "request.malformed",
  "response.malformed",
  // Data read outside a client: stream records and export lines.
  "stream.recordInvalid",
  "export.lineInvalid",
  "export.incomplete",
  // Whole-table tools: verify, migrate, keys.
  "migration.optionsInvalid",
  "migration.tableNotFound",
  "migration.checkpointMismatch",
  "migration.checkpointMissing",
] as const;

/** A stable, namespaced error code. */
export type EncryptionErrorCode = (typeof ERROR_CODES)[number];
