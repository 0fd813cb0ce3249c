import { createBeaconKey } from "../beacons/beacon-key";
import { EncryptionError } from "../errors/encryption-error";
import { KmsKeyProvider } from "../keys/kms-key-provider";
import { type AwsOptions, kmsClient } from "./aws-clients";
import { EXIT } from "./exit-codes";
import type { CliIo } from "./transform-command";

/** Options of `keygen`: the KMS key, and how to reach KMS (the AWS CLI's `--region`, `--profile`, `--endpoint-url`). */
export interface KeygenOptions extends AwsOptions {
  keyId: string;
}

/**
 * `keygen --key-id <kms key>`: makes a beacon key with KMS `GenerateDataKey`
 * and prints it as the `beaconKey` config value, `{"keyId":…,"wrapped":…}`.
 * Only the wrapped form is printed; the plaintext key never leaves KMS's
 * answer and is zeroed. Credentials come from the SDK's usual chain.
 */
export async function runKeygenCommand(options: KeygenOptions, io: CliIo): Promise<number> {
  const client = kmsClient(options);
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
