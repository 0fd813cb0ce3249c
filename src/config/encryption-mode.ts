/**
 * What a client may do with a field. Services that only ingest data should not
 * be able to read it back, and reporting services should never write it.
 */
export const EncryptionMode = {
  /** Encrypt on write, decrypt on read. Needs `kms:GenerateDataKey` and `kms:Decrypt`. */
  ReadWrite: "ReadWrite",
  /**
   * Encrypt on write; reads return the stored `ENC:` value unchanged, with no
   * KMS call. Needs only `kms:GenerateDataKey`.
   */
  WriteOnly: "WriteOnly",
  /**
   * Decrypt on read; any write that would store the field fails with
   * `mode.readOnlyWrite`, so plaintext is never stored. Needs only `kms:Decrypt`.
   */
  ReadOnly: "ReadOnly",
} as const;

export type EncryptionMode = (typeof EncryptionMode)[keyof typeof EncryptionMode];

export const ENCRYPTION_MODES: readonly EncryptionMode[] = Object.values(EncryptionMode);
