import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionContext } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";
import { canonicalContext } from "../util/canonical-context";
import type { DataKey, KeyProvider } from "./key-provider";

/** Options of {@link LocalKeyProvider}. */
export interface LocalKeyProviderOptions {
  /**
   * Raw 256-bit keys by id. Keep old ids here after changing a field's `keyId`,
   * so values written under them still decrypt.
   */
  keys: Record<string, Uint8Array>;
}

const MAGIC = 0x4c; // "L"
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Raw AES-256 keys held in this process, for development, tests and demos.
 * It wraps data keys with AES-256-GCM, binding the key id and the encryption
 * context as KMS does. Anyone holding these keys can read every value: use
 * `KmsKeyProvider` (the default) in production.
 *
 * Wrapped form: `"L" | u8 key id length | key id | 12-byte IV | encrypted data key | 16-byte tag`.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly id = "local";
  private readonly keys: Map<string, Buffer>;

  constructor(options: LocalKeyProviderOptions) {
    this.keys = new Map();
    for (const [id, key] of Object.entries(options?.keys ?? {})) {
      if (!(key instanceof Uint8Array) || key.length !== 32) {
        throw new EncryptionError(
          "config.invalid",
          `keyProvider: LocalKeyProvider key "${id}" must be a 32-byte Uint8Array`,
        );
      }
      if (Buffer.byteLength(id) > 255 || id === "") {
        throw new EncryptionError(
          "config.invalid",
          `keyProvider: LocalKeyProvider key id "${id}" must be 1 to 255 bytes`,
        );
      }
      this.keys.set(id, Buffer.from(key));
    }
  }

  private key(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key)
      throw new EncryptionError("key.unknownLocalKey", `LocalKeyProvider has no key "${id}"`);
    return key;
  }

  private static aad(id: Buffer, context: EncryptionContext): Buffer {
    return Buffer.concat([id, Buffer.from(canonicalContext(context), "utf8")]);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    const key = this.key(keyId);
    const plaintext = randomBytes(32);
    const id = Buffer.from(keyId, "utf8");
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(LocalKeyProvider.aad(id, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const wrapped = Buffer.concat([Buffer.of(MAGIC, id.length), id, iv, body, cipher.getAuthTag()]);
    return { plaintext, wrapped };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every failure is a rejection
  async decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const blob = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    const invalid = () =>
      new EncryptionError(
        "kms.invalidCiphertext",
        "The wrapped data key does not open with the local key and this encryption context",
      );
    if (blob.length < 2 || blob[0] !== MAGIC) throw invalid();
    const idLength = blob[1]!;
    if (blob.length < 2 + idLength + IV_BYTES + TAG_BYTES) throw invalid();
    const id = blob.subarray(2, 2 + idLength);
    const key = this.key(id.toString("utf8"));
    const iv = blob.subarray(2 + idLength, 2 + idLength + IV_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
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
}
