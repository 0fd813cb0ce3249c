import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import type { EncryptionContext } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";
import type { DataKey, KeyProvider } from "./key-provider";
import { kmsError } from "./kms-errors";

/** Options of {@link KmsKeyProvider}. */
export interface KmsKeyProviderOptions {
  /** A client to use; otherwise one is created on first use. */
  client?: KMSClient;
  /** Region of the client created on first use. Default: the SDK's usual resolution. */
  region?: string;
  /**
   * An extra check on top of the per-field key check: KMS key ARNs that may
   * have made any value this client reads. Every `Decrypt` already names the
   * field's key (`KeyId`), so KMS refuses a value under another key; this
   * list also refuses a value whose key an alias now resolves to unexpectedly.
   */
  allowedKeyArns?: readonly string[];
}

/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) to make one, `Decrypt` to
 * open a wrapped one; `Encrypt` and `Decrypt` for the `kms` scheme.
 *
 * `Decrypt` always names the key it expects (`KeyId`), as the AWS Encryption
 * SDK's strict mode does: KMS fails with `IncorrectKeyException` when the
 * ciphertext was made under another key, so a value built under a key an
 * attacker controls is refused even if the reader's IAM policy allows that
 * key. With several candidates (a field's key and its decrypt-only keys), they
 * are tried in order; the first is the field's current key, so values under it
 * cost exactly one call. Automatic key rotation keeps the key ID, so it needs
 * nothing; moving an alias to another key needs the old key listed in
 * `decryptOnlyKeyIds` until its values are re-encrypted.
 */
export class KmsKeyProvider implements KeyProvider {
  readonly id = "aws-kms";
  private client: KMSClient | undefined;
  private readonly allowed: ReadonlySet<string> | undefined;

  constructor(private readonly options: KmsKeyProviderOptions = {}) {
    this.client = options.client;
    this.allowed = options.allowedKeyArns ? new Set(options.allowedKeyArns) : undefined;
  }

  private kms(): KMSClient {
    this.client ??= new KMSClient(this.options.region ? { region: this.options.region } : {});
    return this.client;
  }

  async generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    let out;
    try {
      out = await this.kms().send(
        new GenerateDataKeyCommand({
          KeyId: keyId,
          KeySpec: "AES_256",
          EncryptionContext: context,
        }),
      );
    } catch (error) {
      throw kmsError(error, "GenerateDataKey");
    }
    if (!out.Plaintext || out.Plaintext.length !== 32 || !out.CiphertextBlob) {
      throw new EncryptionError("kms.failed", "KMS GenerateDataKey returned no 32-byte data key");
    }
    return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
  }

  async decryptDataKey(
    wrapped: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array> {
    const plaintext = await this.decrypt(wrapped, context, keyIds);
    // Precondition: an AES-256 data key is 32 bytes; anything else is not a key this library made.
    if (plaintext.length !== 32) {
      plaintext.fill(0);
      throw new EncryptionError("kms.failed", "KMS Decrypt returned no 32-byte data key");
    }
    return plaintext;
  }

  async encrypt(
    keyId: string,
    plaintext: Uint8Array,
    context: EncryptionContext,
  ): Promise<Uint8Array> {
    let out;
    try {
      out = await this.kms().send(
        new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }),
      );
    } catch (error) {
      throw kmsError(error, "Encrypt");
    }
    if (!out.CiphertextBlob)
      throw new EncryptionError("kms.failed", "KMS Encrypt returned no ciphertext");
    return out.CiphertextBlob;
  }

  async decrypt(
    ciphertext: Uint8Array,
    context: EncryptionContext,
    keyIds: readonly string[],
  ): Promise<Uint8Array> {
    // Precondition: Decrypt always names a key; without one KMS would open a value under any key the caller may use.
    if (keyIds.length === 0)
      throw new EncryptionError("kms.incorrectKey", "No KMS key is allowed to open this value");
    let out;
    for (let i = 0; ; i++) {
      try {
        out = await this.kms().send(
          new DecryptCommand({
            CiphertextBlob: ciphertext,
            EncryptionContext: context,
            KeyId: keyIds[i],
          }),
        );
        break;
      } catch (error) {
        const mapped = kmsError(error, "Decrypt");
        if (mapped.code === "kms.incorrectKey" && i + 1 < keyIds.length) continue;
        if (mapped.code === "kms.incorrectKey")
          throw new EncryptionError(
            "kms.incorrectKey",
            "KMS Decrypt failed (IncorrectKeyException): the value was encrypted under a KMS key that is neither the field's keyId nor one of its decryptOnlyKeyIds",
            { cause: error },
          );
        throw mapped;
      }
    }
    if (!out.Plaintext)
      throw new EncryptionError("kms.failed", "KMS Decrypt returned no plaintext");
    if (this.allowed && !(out.KeyId && this.allowed.has(out.KeyId))) {
      out.Plaintext.fill(0);
      throw new EncryptionError(
        "kms.incorrectKey",
        "The value was encrypted under a KMS key that is not in allowedKeyArns",
      );
    }
    return out.Plaintext;
  }
}
