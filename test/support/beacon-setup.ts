import { createBeaconKey, type FieldEncryptionConfig, LocalKeyProvider } from "../../src";
import { LOCAL_KEYS, setup } from "./plugin-setup";

/** A local provider, and a beacon key it wrapped (the flow `keygen` runs against KMS). */
export async function localBeaconConfig(): Promise<FieldEncryptionConfig> {
  const keyProvider = new LocalKeyProvider({ keys: LOCAL_KEYS });
  return {
    keyId: "local/app",
    keyProvider,
    beaconKey: await createBeaconKey(keyProvider, "local/app"),
    tables: {
      Users: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: {
          email: { beacon: { length: 16, normalize: ["lowercase", "trim"], index: "email-index" } },
          "profile.phone": { beacon: { length: 256 } },
          ssn: {},
        },
      },
    },
  };
}

/** The plugin on a fake DynamoDB with the beacon config. */
export async function beaconSetup(
  config?: FieldEncryptionConfig,
  clientOptions?: Parameters<typeof setup>[1],
) {
  return setup(config ?? (await localBeaconConfig()), clientOptions);
}
