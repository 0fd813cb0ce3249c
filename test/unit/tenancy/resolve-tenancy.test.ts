import { resolveConfig } from "../../../src/config/resolve-config";
import { LocalKeyProvider, type FieldEncryptionConfig } from "../../../src";
import { configError } from "../../support/config-error";
import { fieldForItem } from "../../../src/tenancy/field-for-item";

const provider = new LocalKeyProvider({ keys: { k: new Uint8Array(32) } });
const users = (table: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  ({
    keyId: "k",
    keyProvider: provider,
    tables: { Users: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} }, ...table } },
    ...top,
  }) as unknown as FieldEncryptionConfig;

const tenantKeys = { attribute: "pk", pattern: "^tenant#([^#]+)#", keys: { acme: "k" } };

describe("per-item keys and contexts: config validation with exact locations", () => {
  it.each([
    [
      "a context source on an encrypted attribute",
      users({ fields: { ssn: { context: { tenant: { attribute: "ssn" } } } } }),
      `tables.Users.fields.ssn.context.tenant.attribute: "ssn" is encrypted in table "Users"`,
    ],
    [
      "a context source on an attribute that holds an encrypted field below it",
      users({ fields: { "card.number": {} }, context: { tenant: { attribute: "card" } } }),
      `tables.Users.context.tenant.attribute: "card" is encrypted in table "Users"`,
    ],
    [
      "a pattern without a capture group",
      users({ context: { tenant: { attribute: "pk", pattern: "^tenant#" } } }),
      `tables.Users.context.tenant.pattern: expected exactly one capture group (the part that is the value), got 0`,
    ],
    [
      "an empty pattern",
      users({ context: { tenant: { attribute: "pk", pattern: "" } } }),
      `tables.Users.context.tenant.pattern: expected a regular expression as a string`,
    ],
    [
      "a pattern that is not a string",
      users({ keyId: { ...tenantKeys, pattern: /^tenant#([^#]+)#/ } }),
      `tables.Users.keyId.pattern: expected a regular expression as a string`,
    ],
    [
      "a pattern that is not anchored at the start",
      users({ context: { tenant: { attribute: "pk", pattern: "tenant#([^#]+)#" } } }),
      `tables.Users.context.tenant.pattern: must start with "^"`,
    ],
    [
      "a pattern with two capture groups",
      users({ context: { tenant: { attribute: "pk", pattern: "^(a)#(b)" } } }),
      `tables.Users.context.tenant.pattern: expected exactly one capture group (the part that is the value), got 2`,
    ],
    [
      "a pattern that is not a regular expression",
      users({ context: { tenant: { attribute: "pk", pattern: "^(a" } } }),
      `tables.Users.context.tenant.pattern: not a valid regular expression`,
    ],
    [
      "an unknown option in a context source",
      users({ context: { tenant: { attribute: "pk", regex: "x" } } }),
      `tables.Users.context.tenant.regex: unknown option; expected one of attribute, pattern`,
    ],
    [
      "a context source without an attribute",
      users({ context: { tenant: { pattern: "^(a)" } } }),
      `tables.Users.context.tenant.attribute: expected the name of a top-level attribute`,
    ],
    [
      "a key map on an encrypted attribute",
      users({}, { keyId: { attribute: "ssn", keys: { a: "k" } } }),
      `config.keyId.attribute: "ssn" is encrypted in table "Users"`,
    ],
    [
      "a key map with an empty key",
      users({ keyId: { ...tenantKeys, keys: { acme: "" } } }),
      `tables.Users.keyId.keys.acme: expected a non-empty string`,
    ],
    [
      "a key map that maps nothing and has no default",
      users({ keyId: { ...tenantKeys, keys: {} } }),
      `tables.Users.keyId.keys: maps no tenant and there is no default`,
    ],
    [
      "a key map's decrypt-only keys that are not a list",
      users({ keyId: { ...tenantKeys, decryptOnlyKeyIds: { acme: "old" } } }),
      `tables.Users.keyId.decryptOnlyKeyIds.acme: expected an array of KMS key identifiers`,
    ],
    [
      "a key function that is async",
      users({ keyId: { attributes: ["tenantId"], choose: async () => Promise.resolve("k") } }),
      `tables.Users.keyId.choose: must be synchronous`,
    ],
    [
      "a key function without attributes",
      users({ keyId: { attributes: [], choose: () => "k" } }),
      `tables.Users.keyId.attributes: expected a non-empty array of top-level attribute names`,
    ],
    [
      "a key function reading an encrypted attribute",
      users({ keyId: { attributes: ["tenantId", "ssn"], choose: () => "k" } }),
      `tables.Users.keyId.attributes[1]: "ssn" is encrypted in table "Users"`,
    ],
    [
      "a default key without the tenant in the context",
      users({ keyId: { ...tenantKeys, default: "k" }, context: { app: "x" } }),
      `tables.Users.keyId.default: every tenant without its own key shares this one, so the context must carry the tenant`,
    ],
    [
      "a default key with the tenant in the context under another pattern",
      users({
        keyId: { ...tenantKeys, default: "k" },
        context: { tenant: { attribute: "pk", pattern: "^tenant#([^#]+)" } },
      }),
      `tables.Users.keyId.default: every tenant without its own key shares this one`,
    ],
    [
      "shared decrypt-only keys with a key chosen per item",
      users({ keyId: tenantKeys, decryptOnlyKeyIds: ["old"] }),
      `tables.Users.decryptOnlyKeyIds: the keyId (tables.Users.keyId) is chosen per item, so retired keys are listed per tenant`,
    ],
  ])("%s", (_, config, message) => {
    expect(configError(config)).toContain(message);
  });

  it("accepts a default key when the context carries the tenant the key map reads; a mapped tenant keeps its own key, only the others share the default", () => {
    const table = resolveConfig(
      users({
        keyId: { ...tenantKeys, keys: { acme: "k-acme" }, default: "k-shared" },
        context: { tenant: { attribute: "pk", pattern: "^tenant#([^#]+)#" } },
      }),
    ).tables.get("Users")!;
    expect(table.tenantAttributes).toEqual(["pk"]);
    const forTenant = (tenant: string) =>
      fieldForItem(table, table.fields[0]!, { pk: { S: `tenant#${tenant}#1` } }, undefined);
    expect(forTenant("acme")).toMatchObject({ keyId: "k-acme", context: { tenant: "acme" } });
    expect(forTenant("acme").readKeyIds).toEqual(["k-acme"]);
    expect(forTenant("globex")).toMatchObject({
      keyId: "k-shared",
      context: { tenant: "globex" },
    });
  });

  it("a tenant reads with its own retired keys only, never with another tenant's", () => {
    const table = resolveConfig(
      users({
        keyId: {
          ...tenantKeys,
          keys: { acme: "k-acme", globex: "k-globex", initech: "k-initech" },
          decryptOnlyKeyIds: { acme: ["old-acme"], globex: ["old-globex-1", "old-globex-2"] },
        },
      }),
    ).tables.get("Users")!;
    const readKeys = (tenant: string) =>
      fieldForItem(table, table.fields[0]!, { pk: { S: `tenant#${tenant}#1` } }, undefined)
        .readKeyIds;
    expect(readKeys("acme")).toEqual(["k-acme", "old-acme"]);
    expect(readKeys("globex")).toEqual(["k-globex", "old-globex-1", "old-globex-2"]);
    expect(readKeys("initech")).toEqual(["k-initech"]);
  });

  it.each([
    [
      "a key map's attribute",
      {
        keyId: { attribute: "tenantId", keys: { acme: "k" }, default: "k" },
        context: { tenant: { attribute: "tenantId" } },
      },
      { tenantId: { S: "" } },
      { tenantId: { S: "acme" } },
    ],
    [
      "a context attribute",
      { context: { tenant: { attribute: "tenantId" } } },
      { tenantId: { S: "" } },
      { tenantId: { S: "acme" } },
    ],
    [
      "a pattern's capture",
      { context: { tenant: { attribute: "pk", pattern: "^tenant#([^#]*)#" } } },
      { pk: { S: "tenant##1" } },
      { pk: { S: "tenant#acme#1" } },
    ],
  ])(
    "an empty tenant value from %s is refused with tenant.attributeInvalid, not shared by every such item",
    (_, table, empty, filled) => {
      const resolved = resolveConfig(users(table)).tables.get("Users")!;
      expect(() => fieldForItem(resolved, resolved.fields[0]!, empty, undefined)).toThrow(
        expect.objectContaining({ code: "tenant.attributeInvalid" }),
      );
      // The same config takes a value that is not empty.
      expect(fieldForItem(resolved, resolved.fields[0]!, filled, undefined).context).toMatchObject({
        tenant: "acme",
      });
    },
  );

  it("a pattern runs on values of up to 2,048 characters: 2,048 are searched, 2,049 are refused", () => {
    const table = resolveConfig(users({ keyId: tenantKeys })).tables.get("Users")!;
    const pk = (length: number) => {
      const head = "tenant#acme#";
      return { pk: { S: head + "x".repeat(length - head.length) } };
    };
    expect(pk(2048).pk.S).toHaveLength(2048);
    expect(fieldForItem(table, table.fields[0]!, pk(2048), undefined).keyId).toBe("k");
    expect(() => fieldForItem(table, table.fields[0]!, pk(2049), undefined)).toThrow(
      expect.objectContaining({ code: "tenant.attributeInvalid" }),
    );
  });

  it("accepts sources on key attributes and unencrypted attributes, and lists them as the table's tenant attributes", () => {
    const resolved = resolveConfig(
      users({
        keyId: { attribute: "tenantId", keys: { acme: "k" } },
        context: { tenant: { attribute: "pk", pattern: "^tenant#([^#]+)#" }, app: "x" },
      }),
    );
    const table = resolved.tables.get("Users")!;
    expect(table.tenantAttributes).toEqual(["pk", "tenantId"]);
    expect(table.fields[0]!.tenancy?.attributes).toEqual(["pk", "tenantId"]);
  });

  it("a config without per-item sources resolves fields without tenancy", () => {
    const table = resolveConfig(users({})).tables.get("Users")!;
    expect(table.tenantAttributes).toEqual([]);
    expect(table.fields[0]!.tenancy).toBeUndefined();
  });

  it("compiles patterns with the u flag, as documented: a Unicode property escape matches letters, not the text \\p{Lu}", () => {
    const table = resolveConfig(
      users({ keyId: { attribute: "pk", pattern: "^tenant#(\\p{Lu}+)#", keys: { ÄBC: "k" } } }),
    ).tables.get("Users")!;
    const field = fieldForItem(table, table.fields[0]!, { pk: { S: "tenant#ÄBC#1" } }, undefined);
    expect(field.keyId).toBe("k");
    expect(() =>
      fieldForItem(table, table.fields[0]!, { pk: { S: "tenant#p{Lu}#1" } }, undefined),
    ).toThrow(expect.objectContaining({ code: "tenant.attributeInvalid" }));
  });
});
