import { KMSClient } from "@aws-sdk/client-kms";
import { createBeaconKey } from "../beacons/beacon-key";
import { EncryptionError } from "../errors/encryption-error";
import { KmsKeyProvider } from "../keys/kms-key-provider";
import { EXIT } from "./exit-codes";
import type { CliIo } from "./transform-command";

/** Options of `keygen`. */
export interface KeygenOptions {
  keyId: string;
  region?: string;
  endpoint?: string;
}

/**
 * `keygen --key-id <kms key>`: makes a beacon key with KMS `GenerateDataKey`
 * and prints it as the `beaconKey` config value, `{"keyId":…,"wrapped":…}`.
 * Only the wrapped form is printed; the plaintext key never leaves KMS's
 * answer and is zeroed. Credentials come from the SDK's usual chain.
 */
export async function runKeygenCommand(options: KeygenOptions, io: CliIo): Promise<number> {
  const client = new KMSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  try {
    const key = await createBeaconKey(new KmsKeyProvider({ client }), options.keyId);
    io.stdout.write(`${JSON.stringify(key)}\n`);
    return EXIT.ok;
  } catch (error) {
    const code = EncryptionError.is(error) ? ` (${error.code})` : "";
    io.stderr.write(`keygen failed${code}: ${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    client.destroy();
  }
}
