import {
  createBeaconKey,
  type DataKey,
  EncryptionError,
  type FieldEncryptionConfig,
  LocalKeyProvider,
} from "../../../src";
import { BEACON_KEY_CONTEXT } from "../../../src/beacons/beacon-key";
import { BeaconKeyring, hasBeacon } from "../../../src/beacons/beacon-keyring";
import { resolveConfig } from "../../../src/config/resolve-config";
import { oracleBeacon, unwrapBeaconKey } from "../../support/beacon-oracle";

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

  it("zeroes the plaintext key it was given once it has the wrapped form", async () => {
    const { inner } = countingProvider();
    let handedOut: DataKey | undefined;
    const provider = Object.assign(Object.create(inner) as LocalKeyProvider, {
      generateDataKey: async (...args: Parameters<LocalKeyProvider["generateDataKey"]>) =>
        (handedOut = await inner.generateDataKey(...args)),
    });
    await createBeaconKey(provider, "k");
    expect(handedOut!.plaintext).toHaveLength(32);
    expect(handedOut!.plaintext.every((byte) => byte === 0)).toBe(true);
  });
});

describe("per-table, per-field beacon subkeys", () => {
  it("two tables with the same field path get each its own subkey, whichever is used first", async () => {
    const { inner } = countingProvider();
    const beaconKey = await createBeaconKey(inner, "k");
    const email = { beacon: { length: 64 } };
    const config = {
      keyId: "k",
      keyProvider: inner,
      beaconKey,
      tables: {
        Users: { partitionKey: "pk", fields: { email } },
        Orders: { partitionKey: "pk", fields: { email } },
      },
    } as FieldEncryptionConfig;
    const resolved = resolveConfig(config);
    const [a, b] = ["Users", "Orders"].map((name) => {
      const table = resolved.tables.get(name)!;
      const field = table.fields[0]!;
      if (!hasBeacon(field)) throw new Error("the field has a beacon");
      return { table, field };
    });
    const key = await unwrapBeaconKey(inner, beaconKey);
    const value = { S: "same@x" };
    const expected = (table: string) => oracleBeacon(key, table, "email", value, 64);
    expect(expected("Users")).not.toBe(expected("Orders"));
    for (const order of [
      [a!, b!],
      [b!, a!],
    ]) {
      const keyring = new BeaconKeyring(inner, resolved.beaconKey);
      const ready = await keyring.ready();
      for (const { table, field } of order)
        expect(keyring.beacon(table, field, value, ready)).toBe(expected(table.logicalName));
    }
  });
});
