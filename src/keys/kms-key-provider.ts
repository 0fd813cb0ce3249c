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
   * KMS key ARNs that may have made the values this client reads. `Decrypt`
   * finds the key from the ciphertext, so by default any key the caller's IAM
   * policy allows is accepted; with this list, a value under any other key is
   * refused (`kms.incorrectKey`) even when IAM would allow it. List the
   * current keys and the retired ones still to be read.
   */
  allowedKeyArns?: readonly string[];
}

/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) to make one, `Decrypt` to
 * open a wrapped one; `Encrypt` and `Decrypt` for the `kms` scheme. `Decrypt`
 * names no key: the ciphertext records which KMS key made it, so values keep
 * decrypting after a field's `keyId` changes (key rotation on read).
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

  async decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const plaintext = await this.decrypt(wrapped, context);
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

  async decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    let out;
    try {
      out = await this.kms().send(
        new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: context }),
      );
    } catch (error) {
      throw kmsError(error, "Decrypt");
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
