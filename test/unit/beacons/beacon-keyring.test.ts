import { createBeaconKey, EncryptionError, LocalKeyProvider } from "../../../src";
import { BEACON_KEY_CONTEXT } from "../../../src/beacons/beacon-key";
import { BeaconKeyring } from "../../../src/beacons/beacon-keyring";

function countingProvider() {
  const inner = new LocalKeyProvider({
    keys: { k: Buffer.alloc(32, 7), other: Buffer.alloc(32, 8) },
  });
  let calls = 0;
  let failNext = false;
  const provider = Object.assign(Object.create(inner) as LocalKeyProvider, {
    decryptDataKey: async (...args: Parameters<LocalKeyProvider["decryptDataKey"]>) => {
      calls += 1;
      if (failNext) {
        failNext = false;
        throw new EncryptionError("kms.throttled", "throttled");
      }
      return inner.decryptDataKey(...args);
    },
  });
  return { inner, provider, calls: () => calls, failOnce: () => (failNext = true) };
}

describe("the beacon key", () => {
  it("is made under the reserved beacon context and kept only wrapped", async () => {
    const { inner } = countingProvider();
    const key = await createBeaconKey(inner, "k");
    expect(key.keyId).toBe("k");
    const wrapped = Buffer.from(key.wrapped, "base64");
    await expect(
      inner.decryptDataKey(wrapped, { ...BEACON_KEY_CONTEXT }, ["k"]),
    ).resolves.toHaveLength(32);
    // A data key's context (none, or a field's) does not open it.
    await expect(inner.decryptDataKey(wrapped, {}, ["k"])).rejects.toBeInstanceOf(EncryptionError);
  });

  it("is unwrapped with one Decrypt for concurrent first uses, and tried again after a failure", async () => {
    const { inner, provider, calls, failOnce } = countingProvider();
    const created = await createBeaconKey(inner, "k");
    const keyring = new BeaconKeyring(provider, {
      keyId: "k",
      wrapped: Buffer.from(created.wrapped, "base64"),
    });
    failOnce();
    await expect(keyring.ready()).rejects.toMatchObject({ code: "kms.throttled" });
    const keys = await Promise.all([keyring.ready(), keyring.ready(), keyring.ready()]);
    expect(calls()).toBe(2);
    expect(keys[0]).toBe(keys[2]);
    await keyring.ready();
    expect(calls()).toBe(2);
  });

  it("refuses a blob wrapped under a key other than the configured keyId", async () => {
    const { inner, provider } = countingProvider();
    const created = await createBeaconKey(inner, "other");
    const keyring = new BeaconKeyring(provider, {
      keyId: "k",
      wrapped: Buffer.from(created.wrapped, "base64"),
    });
    await expect(keyring.ready()).rejects.toBeInstanceOf(EncryptionError);
  });
});
