import type { EncryptionContext } from "../config/config-types";
import type { KeyProvider } from "../keys/key-provider";
import type { BeaconKeyOptions } from "./beacon-options";

/**
 * The encryption context of the beacon key, on `GenerateDataKey` and
 * `Decrypt`. Its `dfe:` key is reserved (no field context can use it), so a
 * field's data key can never be passed off as the beacon key, nor the reverse.
 */
export const BEACON_KEY_CONTEXT: Readonly<EncryptionContext> = Object.freeze({
  "dfe:purpose": "beacon-key",
});

/**
 * Makes a beacon key under `keyId` and returns it in the form `beaconKey`
 * takes. The plaintext key is zeroed and dropped: only the wrapped form is kept.
 */
export async function createBeaconKey(
  provider: KeyProvider,
  keyId: string,
): Promise<BeaconKeyOptions> {
  const key = await provider.generateDataKey(keyId, { ...BEACON_KEY_CONTEXT });
  key.plaintext.fill(0);
  return { keyId, wrapped: Buffer.from(key.wrapped).toString("base64") };
}
