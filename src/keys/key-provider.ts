import type { EncryptionContext } from "../config/config-types";

/** A fresh data key: its plaintext, for AES-GCM, and its wrapped form, which is stored. */
export interface DataKey {
  plaintext: Uint8Array;
  wrapped: Uint8Array;
}

/**
 * Where data keys come from and how wrapped ones are opened. The plugin caches
 * what a provider returns, so a provider makes one call per request to it.
 * Errors are `EncryptionError`s with `kms.*` or `key.*` codes.
 */
export interface KeyProvider {
  /** Distinguishes providers in cache keys; two providers never share a cached key. */
  readonly id: string;
  /** Makes a 256-bit data key under `keyId`, bound to `context`. */
  generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey>;
  /**
   * Opens a wrapped data key. Fails unless `context` is the one it was made
   * with, and (`kms.incorrectKey`) unless it was made under one of `keyIds`,
   * the field's key and its decrypt-only keys: a provider must never open a
   * value made under another key, however the caller's permissions allow it.
   */
  decryptDataKey(
    wrapped: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array>;
  /** Encrypts a value directly (at most 4,096 bytes), for the `kms` scheme. */
  encrypt?(keyId: string, plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** Decrypts a value the `kms` scheme stored, under the same rules as {@link decryptDataKey}. */
  decrypt?(
    ciphertext: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array>;
}
