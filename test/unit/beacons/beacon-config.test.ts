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
      composites: [],
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

describe("beacon composites config", () => {
  const composite = (pattern: string, attribute = "gsi1pk") => ({
    email: { beacon: { length: 8, composites: [{ attribute, pattern }] } },
  });

  it("compiles the pattern and maps the attribute to its field; reads the literal prefix", () => {
    const table = resolve(composite("^\\$app#email_(.+)$")).tables.get("Users")!;
    const binding = table.compositeAttributes.get("gsi1pk")!;
    expect(binding.field.path).toBe("email");
    expect(binding.composite.literalPrefix).toBe("$app#email_");
    expect(binding.composite.pattern.flags).toBe("du");
    const prefix = (pattern: string) =>
      resolve(composite(pattern)).tables.get("Users")!.compositeAttributes.get("gsi1pk")!.composite
        .literalPrefix;
    expect(prefix("^a\\.b\\(c(.+)")).toBe("a.b(c");
    expect(prefix("^(?:a|b)#(.+)")).toBeUndefined();
    expect(prefix("^x[0-9]_(.+)")).toBeUndefined();
    expect(prefix("^x\\d_(.+)")).toBeUndefined();
    expect(prefix("^xy?_(.+)")).toBeUndefined();
    // An alternation before the group: "cd(.+)" embeds too, so "ab|cd" is no prefix of every match.
    expect(prefix("^ab|cd(.+)")).toBeUndefined();
  });

  it.each([
    [
      composite("\\$app#email_(.+)$"),
      'beacon.composites[0].pattern: expected a regular expression starting with "^"',
    ],
    [
      composite("^app#(.+)#(.+)"),
      "beacon.composites[0].pattern: expected exactly one capture group",
    ],
    [composite("^app#.+"), "beacon.composites[0].pattern: expected exactly one capture group"],
    [composite("^app#(.+"), "beacon.composites[0].pattern: not a valid regular expression"],
    // The tenant patterns' backtracking check applies to composite patterns too (they share compileSource).
    [
      composite("^e_((?:[a-z]+)*)#$"),
      "beacon.composites[0].pattern: can backtrack catastrophically",
    ],
    [
      composite("^x(.+)", ""),
      "beacon.composites[0].attribute: expected the name of a top-level attribute",
    ],
    [{ email: { beacon: { length: 8, composites: {} } } }, "beacon.composites: expected a list"],
    [
      {
        email: {
          beacon: { length: 8, composites: [{ attribute: "g", pattern: "^(.+)", required: 1 }] },
        },
      },
      "beacon.composites[0].required: expected true or false",
    ],
    [
      {
        email: { beacon: { length: 8, composites: [{ attribute: "g", pattern: "^(.+)", x: 1 }] } },
      },
      "beacon.composites[0].x: unknown option",
    ],
    [
      composite("^x(.+)", "pk"),
      'beacon.composites[0].attribute: "pk" is a key attribute of the table',
    ],
    [
      { ...composite("^x(.+)", "ssn"), ssn: {} },
      'beacon.composites[0].attribute: "ssn" holds an encrypted field',
    ],
    [
      composite("^x(.+)", "email__beacon"),
      'beacon.composites[0].attribute: "email__beacon" is the beacon attribute of "email"',
    ],
    [
      {
        ...composite("^x(.+)", "tenant"),
        ssn: { keyId: { attribute: "tenant", keys: { a: "k" } } },
      },
      'beacon.composites[0].attribute: "tenant" chooses a KMS key or encryption context',
    ],
    [
      {
        ...composite("^x(.+)"),
        phone: { beacon: { length: 8, composites: [{ attribute: "gsi1pk", pattern: "^y(.+)" }] } },
      },
      'beacon.composites[0].attribute: "gsi1pk" is also a composite of "email"',
    ],
  ])("refuses %j", (fields, message) => {
    expect(configError(() => resolve(fields))).toContain(message);
  });

  it("refuses the sort key too", () => {
    expect(
      configError(() =>
        resolveConfig({
          keyId: "k",
          keyProvider: provider,
          beaconKey: KEY,
          tables: {
            Users: { partitionKey: "pk", sortKey: "sk", fields: composite("^x(.+)", "sk") },
          },
        }),
      ),
    ).toContain('"sk" is a key attribute of the table');
  });
});
