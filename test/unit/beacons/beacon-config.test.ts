import { EncryptionError, type FieldEncryptionConfig, LocalKeyProvider } from "../../../src";
import { resolveConfig } from "../../../src/config/resolve-config";

const provider = new LocalKeyProvider({ keys: { k: Buffer.alloc(32, 1) } });
const KEY = { keyId: "k", wrapped: "AAAA" };

function resolve(
  fields: Record<string, unknown>,
  top: Record<string, unknown> = { beaconKey: KEY },
) {
  return resolveConfig({
    keyId: "k",
    keyProvider: provider,
    ...top,
    tables: { Users: { partitionKey: "pk", fields } },
  } as FieldEncryptionConfig);
}

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(EncryptionError.is(error, "config.invalid")).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected config.invalid");
}

describe("beacon config", () => {
  it("fills in defaults: the attribute from the path, normalisations in order", () => {
    const table = resolve({
      "profile.email": { beacon: { length: 8, normalize: ["lowercase", "trim"] } },
    }).tables.get("Users")!;
    expect(table.fields[0]!.beacon).toEqual({
      length: 8,
      normalize: ["trim", "lowercase"],
      attribute: "profile_email__beacon",
      index: undefined,
    });
    expect([...table.beaconAttributes.keys()]).toEqual(["profile_email__beacon"]);
  });

  it.each([
    [
      { email: { beacon: { length: 0 } } },
      "tables.Users.fields.email.beacon.length: expected an integer number of bits from 1 to 256, got 0",
    ],
    [{ email: { beacon: { length: 257 } } }, "tables.Users.fields.email.beacon.length"],
    [{ email: { beacon: { length: 1.5 } } }, "tables.Users.fields.email.beacon.length"],
    [
      { email: { beacon: { length: 8, normalize: "upper" } } },
      'tables.Users.fields.email.beacon.normalize: expected "lowercase", "trim" or both, got "upper"',
    ],
    [
      { email: { beacon: { length: 8, extra: 1 } } },
      "tables.Users.fields.email.beacon.extra: unknown option",
    ],
    [
      { email: { beacon: { length: 8, attribute: "pk" } } },
      'beacon.attribute: "pk" is a key attribute',
    ],
    [
      { email: { beacon: { length: 8, attribute: "ssn" } }, ssn: {} },
      'beacon.attribute: "ssn" holds an encrypted field',
    ],
    [
      {
        a: { beacon: { length: 8, attribute: "b" } },
        c: { beacon: { length: 8, attribute: "b" } },
      },
      'is also the beacon attribute of "a"',
    ],
    [
      { "addresses[].zip": { beacon: { length: 8 } } },
      'tables.Users.fields["addresses[].zip"].beacon: beacons on fields inside list elements are not supported',
    ],
    [{ email: { beacon: 16 } }, "tables.Users.fields.email.beacon: expected an object"],
  ])("refuses %j with its exact location", (fields, message) => {
    expect(configError(() => resolve(fields))).toContain(message);
  });

  it("refuses beacons without a beaconKey, and a malformed beaconKey", () => {
    expect(configError(() => resolve({ email: { beacon: { length: 8 } } }, {}))).toContain(
      'config.beaconKey: table "Users" has beacons, which need a beacon key',
    );
    expect(
      configError(() => resolve({}, { beaconKey: { keyId: "k", wrapped: "not base64!" } })),
    ).toContain("config.beaconKey.wrapped: expected the wrapped key as base64");
    expect(configError(() => resolve({}, { beaconKey: { wrapped: "AAAA" } }))).toContain(
      "config.beaconKey.keyId",
    );
  });
});
