import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionContext } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";
import { canonicalContext } from "../util/canonical-context";
import type { DataKey, KeyProvider } from "./key-provider";

/** Options of {@link LocalKeyProvider}. */
export interface LocalKeyProviderOptions {
  /** Raw 256-bit keys by id, for writing and reading. */
  keys: Record<string, Uint8Array>;
  /**
   * Retired keys by id: still read, never written with. Move a key here when
   * a field's `keyId` changes, until its values are re-encrypted.
   */
  decryptOnlyKeys?: Record<string, Uint8Array>;
}

const MAGIC = 0x4c; // "L"
const IV_BYTES = 12;
const TAG_BYTES = 16;

function checkKeys(
  keys: Record<string, Uint8Array> | undefined,
  option: string,
  into: Map<string, Buffer>,
): void {
  for (const [id, key] of Object.entries(keys ?? {})) {
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new EncryptionError(
        "config.invalid",
        `keyProvider: LocalKeyProvider ${option} "${id}" must be a 32-byte Uint8Array`,
      );
    }
    if (Buffer.byteLength(id) > 255 || id === "")
      throw new EncryptionError(
        "config.invalid",
        `keyProvider: LocalKeyProvider key id "${id}" must be 1 to 255 bytes`,
      );
    if (into.has(id))
      throw new EncryptionError(
        "config.invalid",
        `keyProvider: LocalKeyProvider key id "${id}" is in both keys and decryptOnlyKeys`,
      );
    into.set(id, Buffer.from(key));
  }
}

/**
 * Raw AES-256 keys held in this process, for development, tests and demos.
 * It wraps data keys (and, for the `kms` scheme, values) with AES-256-GCM,
 * binding the key id and the encryption context as KMS does. Anyone holding
 * these keys can read every value: use `KmsKeyProvider` (the default) in
 * production.
 *
 * Ciphertext: `"L" | u8 key id length | key id | 12-byte IV | ciphertext | 16-byte tag`.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly id = "local";
  private readonly writable = new Map<string, Buffer>();
  private readonly readable = new Map<string, Buffer>();

  constructor(options: LocalKeyProviderOptions) {
    checkKeys(options?.keys, "key", this.writable);
    for (const [id, key] of this.writable) this.readable.set(id, key);
    const retired = new Map<string, Buffer>();
    checkKeys(options?.decryptOnlyKeys, "decryptOnlyKeys key", retired);
    for (const [id, key] of retired) {
      if (this.readable.has(id))
        throw new EncryptionError(
          "config.invalid",
          `keyProvider: LocalKeyProvider key id "${id}" is in both keys and decryptOnlyKeys`,
        );
      this.readable.set(id, key);
    }
  }

  private static aad(id: Buffer, context: EncryptionContext): Buffer {
    return Buffer.concat([id, Buffer.from(canonicalContext(context), "utf8")]);
  }

  private seal(keyId: string, plaintext: Uint8Array, context: EncryptionContext): Buffer {
    const key = this.writable.get(keyId);
    if (!key) {
      throw new EncryptionError(
        "key.unknownLocalKey",
        this.readable.has(keyId)
          ? `LocalKeyProvider key "${keyId}" is decrypt-only: it is never used to write`
          : `LocalKeyProvider has no key "${keyId}"`,
      );
    }
    const id = Buffer.from(keyId, "utf8");
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(LocalKeyProvider.aad(id, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(MAGIC, id.length), id, iv, body, cipher.getAuthTag()]);
  }

  private open(
    ciphertext: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Buffer {
    const blob = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
    const invalid = () =>
      new EncryptionError(
        "kms.invalidCiphertext",
        "The ciphertext does not open with the local key and this encryption context",
      );
    if (blob.length < 2 || blob[0] !== MAGIC) throw invalid();
    const idLength = blob[1]!;
    if (blob.length < 2 + idLength + IV_BYTES + TAG_BYTES) throw invalid();
    const id = blob.subarray(2, 2 + idLength);
    // Precondition: only the field's own keys may open its values, as KMS Decrypt with KeyId enforces.
    if (!keyIds.includes(id.toString("utf8")))
      throw new EncryptionError(
        "kms.incorrectKey",
        "The value was encrypted under a key that is neither the field's keyId nor one of its decryptOnlyKeyIds",
      );
    const key = this.readable.get(id.toString("utf8"));
    if (!key)
      throw new EncryptionError(
        "key.unknownLocalKey",
        `LocalKeyProvider has no key "${id.toString("utf8")}"`,
      );
    const decipher = createDecipheriv(
      "aes-256-gcm",
      key,
      blob.subarray(2 + idLength, 2 + idLength + IV_BYTES),
    );
    decipher.setAAD(LocalKeyProvider.aad(id, context));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(blob.subarray(2 + idLength + IV_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw invalid();
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: this.seal(keyId, plaintext, context) };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async decryptDataKey(
    wrapped: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array> {
    return this.open(wrapped, context, keyIds);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async encrypt(
    keyId: string,
    plaintext: Uint8Array,
    context: EncryptionContext,
  ): Promise<Uint8Array> {
    return this.seal(keyId, plaintext, context);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async decrypt(
    ciphertext: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array> {
    return this.open(ciphertext, context, keyIds);
  }
}
