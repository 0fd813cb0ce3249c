import { resolveConfig } from "../../../src/config/resolve-config";
import { LocalKeyProvider, type FieldEncryptionConfig } from "../../../src";
import { configError } from "../../support/config-error";

const provider = new LocalKeyProvider({ keys: { k: new Uint8Array(32) } });
const base = (tables: unknown, extra: Record<string, unknown> = {}) =>
  ({ keyId: "k", keyProvider: provider, tables, ...extra }) as unknown as FieldEncryptionConfig;
const users = (fields: unknown, extra: Record<string, unknown> = {}) =>
  base({ Users: { partitionKey: "pk", sortKey: "sk", fields, ...extra } });

describe("resolveConfig reports each mistake with its exact location", () => {
  it.each([
    [
      "a bad mode",
      users({ "card.number": { mode: "ReadWriter" } }),
      `tables.Users.fields["card.number"].mode: expected one of ReadWrite, WriteOnly, ReadOnly, got "ReadWriter"`,
    ],
    [
      "an unknown field option",
      users({ ssn: { keyID: "x" } }),
      `tables.Users.fields.ssn.keyID: unknown option`,
    ],
    [
      "an unknown table option",
      users({ ssn: {} }, { partitionkey: "pk" }),
      `tables.Users.partitionkey: unknown option`,
    ],
    ["an unknown top-level option", base({}, { tabels: {} }), `config.tabels: unknown option`],
    [
      "a non-string context value",
      users({ ssn: { context: { tenant: 42 } } }),
      `tables.Users.fields.ssn.context.tenant: expected a string or { attribute, pattern? }, got number`,
    ],
    [
      "an encrypted partition key",
      users({ pk: {} }),
      `tables.Users.fields.pk: "pk" is a key attribute`,
    ],
    [
      "an encrypted sort key, nested",
      users({ "sk.x": {} }),
      `tables.Users.fields["sk.x"]: "sk" is a key attribute`,
    ],
    [
      "a field without any key",
      { keyProvider: provider, tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } } },
      `tables.Users.fields.ssn: no KMS key`,
    ],
    [
      "overlapping paths",
      users({ card: {}, "card.number": {} }),
      `tables.Users.fields["card.number"]: overlaps the field "card"`,
    ],
    [
      "overlapping list paths",
      users({ "a[]": {}, "a[].b": {} }),
      `tables.Users.fields["a[].b"]: overlaps the field "a[]"`,
    ],
    [
      "an empty path segment",
      users({ "a..b": {} }),
      `tables.Users.fields["a..b"]: invalid field path: empty attribute name`,
    ],
    [
      "an index in a path",
      users({ "a[0]": {} }),
      `tables.Users.fields["a[0]"]: invalid field path: "[" must be "[]"`,
    ],
    [
      "a path starting with []",
      users({ "[]": {} }),
      `tables.Users.fields["[]"]: invalid field path`,
    ],
    ["a bad escape", users({ "a\\b": {} }), `invalid field path: "\\" must be followed by one of`],
    [
      "a missing partition key",
      base({ Users: { fields: {} } }),
      `tables.Users.partitionKey: expected the partition key attribute name`,
    ],
    [
      "a bad table name",
      base({ "a b": { partitionKey: "pk", fields: {} } }),
      `tables["a b"]: not a valid DynamoDB table name`,
    ],
    [
      "a bad cache option",
      base({}, { cache: { maxAgeMs: -1 } }),
      `config.cache.maxAgeMs: expected a positive integer, got -1`,
    ],
    [
      "an unknown cache option",
      base({}, { cache: { ttl: 5 } }),
      `config.cache.ttl: unknown option`,
    ],
    [
      "keyProvider with kmsClient",
      base({}, { kmsClient: {} }),
      `config.keyProvider: give either keyProvider or kmsClient/region, not both`,
    ],
    [
      "a bad allowPlaintext",
      users({ ssn: { allowPlaintext: "no" } }),
      `tables.Users.fields.ssn.allowPlaintext: expected a boolean`,
    ],
  ])("%s", (_, config, message) => {
    expect(configError(config)).toContain(message);
  });
});

describe("resolveConfig fills in defaults and freezes the result", () => {
  it("merges policies from config, table and field, the most specific winning", () => {
    const resolved = resolveConfig({
      keyId: "k",
      keyProvider: provider,
      context: { app: "billing", level: "top" },
      mode: "WriteOnly",
      tables: {
        Users: {
          partitionKey: "pk",
          context: { level: "table" },
          allowPlaintext: false,
          fields: {
            ssn: {},
            "card.number": { mode: "ReadWrite", keyId: "other", context: { level: "field" } },
          },
        },
      },
    });
    const table = resolved.tables.get("Users")!;
    expect(table.logicalName).toBe("Users");
    const [ssn, card] = table.fields;
    expect(ssn).toMatchObject({
      keyId: "k",
      mode: "WriteOnly",
      allowPlaintext: false,
      context: { app: "billing", level: "table" },
    });
    expect(card).toMatchObject({
      keyId: "other",
      mode: "ReadWrite",
      context: { app: "billing", level: "field" },
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(ssn!.context)).toBe(true);
    expect(resolved.cache).toEqual({
      enabled: true,
      maxAgeMs: 300_000,
      maxUses: 100_000,
      maxEntries: 1000,
    });
    expect(resolved.maxConcurrency).toBe(8);
  });

  it("accepts EncryptionMode values and string literals alike, and escaped names", () => {
    const resolved = resolveConfig(users({ "a\\.b": { mode: "ReadOnly" }, "x\\[y\\]": {} }));
    expect(resolved.tables.get("Users")!.fields.map((f) => f.segments)).toEqual([
      [{ kind: "attr", name: "a.b" }],
      [{ kind: "attr", name: "x[y]" }],
    ]);
  });

  it("cache: false disables caching", () => {
    expect(resolveConfig(base({}, { cache: false })).cache.enabled).toBe(false);
  });
});
