import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
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
}

/**
 * Data keys from AWS KMS: `GenerateDataKey` (AES_256) to make one, `Decrypt` to
 * open a wrapped one. `Decrypt` names no key: the wrapped key records which KMS
 * key made it, so values keep decrypting after a field's `keyId` changes.
 */
export class KmsKeyProvider implements KeyProvider {
  readonly id = "aws-kms";
  private client: KMSClient | undefined;

  constructor(private readonly options: KmsKeyProviderOptions = {}) {
    this.client = options.client;
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
    let out;
    try {
      out = await this.kms().send(
        new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: context }),
      );
    } catch (error) {
      throw kmsError(error, "Decrypt");
    }
    if (!out.Plaintext || out.Plaintext.length !== 32)
      throw new EncryptionError("kms.failed", "KMS Decrypt returned no 32-byte data key");
    return out.Plaintext;
  }
}
