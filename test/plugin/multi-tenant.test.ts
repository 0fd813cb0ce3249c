import { randomBytes } from "node:crypto";
import { ExecuteStatementCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  ExecuteStatementCommand as DocExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  createItemEncryptor,
  describeCiphertext,
  EncryptionError,
  type FieldEncryptionConfig,
  type FieldEncryptionEvent,
  LocalKeyProvider,
} from "../../src";
import { expectRefused } from "../support/refused";
import { setup } from "../support/plugin-setup";

const KEYS = {
  "local/acme": randomBytes(32),
  "local/globex": randomBytes(32),
  "local/initech": randomBytes(32),
};
const TENANTS = ["acme", "globex", "initech"] as const;

/** Users (pk, sk): key and context from the tenant in pk; Orders (pk): key from a tenantId attribute. */
function tenantConfig(events: FieldEncryptionEvent[] = []): FieldEncryptionConfig {
  return {
    keyProvider: new LocalKeyProvider({ keys: KEYS }),
    onEvent: (e) => events.push(e),
    tables: {
      Users: {
        partitionKey: "pk",
        sortKey: "sk",
        keyId: {
          attribute: "pk",
          pattern: "^tenant#([^#]+)#",
          keys: { acme: "local/acme", globex: "local/globex", initech: "local/initech" },
        },
        context: { tenant: { attribute: "pk", pattern: "^tenant#([^#]+)#" } },
        fields: { ssn: {}, "card.number": {} },
      },
      Orders: {
        partitionKey: "pk",
        keyId: { attribute: "tenantId", keys: { acme: "local/acme", globex: "local/globex" } },
        context: { tenant: { attribute: "tenantId" } },
        fields: { secret: {} },
      },
    },
  };
}

const pk = (tenant: string, user = "1") => `tenant#${tenant}#user#${user}`;
const kmsCalls = (events: FieldEncryptionEvent[], operation: string) =>
  events.filter((e) => e.type === "kms" && e.operation === operation).length;

describe("one client, a KMS key and context per tenant chosen from the item", () => {
  it("each tenant's values are stored under its own key and read back through one client", async () => {
    const { fake, doc } = setup(tenantConfig());
    for (const tenant of TENANTS)
      await doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: pk(tenant), sk: "profile", ssn: `ssn-${tenant}` },
        }),
      );
    for (const tenant of TENANTS) {
      const stored = fake.stored("Users", { pk: { S: pk(tenant) }, sk: { S: "profile" } })!;
      expect(describeCiphertext((stored.ssn as { S: string }).S)).toMatchObject({
        keyId: `local/${tenant}`,
      });
      const { Item } = await doc.send(
        new GetCommand({ TableName: "Users", Key: { pk: pk(tenant), sk: "profile" } }),
      );
      expect(Item?.ssn).toBe(`ssn-${tenant}`);
    }
  });

  it("a batch across tenants makes one data key per tenant, and reading it back one unwrap per tenant", async () => {
    const events: FieldEncryptionEvent[] = [];
    const { doc } = setup(tenantConfig(events));
    const items = TENANTS.flatMap((tenant) =>
      Array.from({ length: 8 }, (_, i) => ({
        pk: pk(tenant, String(i)),
        sk: "profile",
        ssn: `${tenant}-${i}`,
      })),
    );
    await doc.send(
      new BatchWriteCommand({
        RequestItems: { Users: items.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    expect(kmsCalls(events, "generateDataKey")).toBe(3);
    const { Items } = await doc.send(
      new QueryCommand({
        TableName: "Users",
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": pk("acme") },
      }),
    );
    // The fake returns every item of the table: each carries the attributes that choose its key.
    expect(new Set(Items!.map((i) => i.ssn as string))).toEqual(new Set(items.map((i) => i.ssn)));
    expect(kmsCalls(events, "decryptDataKey")).toBe(3);
  });

  it("a ciphertext of tenant A copied into tenant B's item is refused", async () => {
    const { fake, doc } = setup(tenantConfig());
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: pk("acme"), sk: "p", ssn: "secret-a" } }),
    );
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: pk("globex"), sk: "p", ssn: "b" } }),
    );
    const a = fake.stored("Users", { pk: { S: pk("acme") }, sk: { S: "p" } })!;
    const b = fake.stored("Users", { pk: { S: pk("globex") }, sk: { S: "p" } })!;
    b.ssn = a.ssn!;
    const error = await doc
      .send(new GetCommand({ TableName: "Users", Key: { pk: pk("globex"), sk: "p" } }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EncryptionError);
    // The value names acme's key, which globex's item may not use.
    expect((error as EncryptionError).code).toBe("kms.incorrectKey");
    expect((error as Error).message).not.toContain("secret-a");
  });

  it("under one shared key, a value copied to another tenant's item fails through its context and binding", async () => {
    const config = tenantConfig();
    config.tables.Orders!.keyId = "local/acme";
    const { fake, doc } = setup(config);
    for (const tenantId of ["acme", "globex"])
      await doc.send(
        new PutCommand({
          TableName: "Orders",
          Item: { pk: `s-${tenantId}`, tenantId, secret: `secret of ${tenantId}` },
        }),
      );
    const a = fake.stored("Orders", { pk: { S: "s-acme" } })!;
    const acmeSecret = a.secret!;
    // The same item key, only its tenant changed: the context alone must refuse it.
    a.tenantId = { S: "globex" };
    await expect(
      doc.send(new GetCommand({ TableName: "Orders", Key: { pk: "s-acme" } })),
    ).rejects.toMatchObject({ code: "kms.invalidCiphertext" });
    const b = fake.stored("Orders", { pk: { S: "s-globex" } })!;
    b.secret = acmeSecret;
    await expect(
      doc.send(new GetCommand({ TableName: "Orders", Key: { pk: "s-globex" } })),
    ).rejects.toMatchObject({ code: "kms.invalidCiphertext" });
  });

  it("a tenant missing from the key map is refused with tenant.keyUnmapped, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await expectRefused(
      doc.send(
        new PutCommand({ TableName: "Users", Item: { pk: pk("umbrella"), sk: "p", ssn: "x" } }),
      ),
      fake,
      "tenant.keyUnmapped",
    );
  });

  it("a key attribute the pattern does not match is refused with tenant.attributeInvalid, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { pk: "user#1", sk: "p", ssn: "x" } })),
      fake,
      "tenant.attributeInvalid",
    );
  });

  it("an item without the attribute that chooses its key is refused with tenant.attributeMissing, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Orders", Item: { pk: "o1", secret: "x" } })),
      fake,
      "tenant.attributeMissing",
    );
  });

  it("an update without the choosing attribute in its Key or its own values is refused, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Orders",
          Key: { pk: "o1" },
          UpdateExpression: "SET secret = :s",
          ExpressionAttributeValues: { ":s": "x" },
        }),
      ),
      fake,
      "tenant.attributeMissing",
    );
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Orders",
          Key: { pk: "o1" },
          UpdateExpression: "SET secret = :s, tenantId = if_not_exists(tenantId, :t)",
          ExpressionAttributeValues: { ":s": "x", ":t": "acme" },
        }),
      ),
      fake,
      "tenant.attributeChanged",
    );
  });

  it("an update that sets the choosing attribute to a value encrypts under that tenant's key", async () => {
    const { fake, doc } = setup(tenantConfig());
    await doc.send(
      new UpdateCommand({
        TableName: "Orders",
        Key: { pk: "o1" },
        UpdateExpression: "SET secret = :s, tenantId = :t",
        ExpressionAttributeValues: { ":s": "x", ":t": "globex" },
      }),
    );
    const sent = fake.last("UpdateItem").body as {
      ExpressionAttributeValues: Record<string, { S: string }>;
    };
    const encrypted = Object.values(sent.ExpressionAttributeValues).find((v) =>
      v.S.startsWith("ENC:"),
    )!;
    expect(describeCiphertext(encrypted.S)).toMatchObject({ keyId: "local/globex" });
  });

  it("an update that sets the choosing attribute gets the condition that the stored tenant is absent or the same", async () => {
    const { fake, doc } = setup(tenantConfig());
    const input = {
      TableName: "Orders",
      Key: { pk: "o1" },
      UpdateExpression: "SET secret = :s, #t = :t",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#t": "tenantId" },
      ExpressionAttributeValues: { ":s": "x", ":t": "globex" },
    };
    const before = structuredClone(input);
    await doc.send(new UpdateCommand(input));
    expect(input).toEqual(before);
    const sent = fake.last("UpdateItem").body as {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, { S: string }>;
    };
    expect(sent.ConditionExpression).toBe(
      "(attribute_exists(pk)) AND (attribute_not_exists(#dfe_tenant0) OR #dfe_tenant0 = :dfe_tenant0)",
    );
    expect(sent.ExpressionAttributeNames["#dfe_tenant0"]).toBe("tenantId");
    expect(sent.ExpressionAttributeValues[":dfe_tenant0"]).toEqual({ S: "globex" });
    // The encrypted value is still encrypted after the condition was added.
    expect(JSON.stringify(sent)).not.toContain('"x"');
  });

  it.each([
    ["REMOVE tenantId", { UpdateExpression: "REMOVE tenantId" }],
    [
      "ADD of the attribute",
      { UpdateExpression: "ADD tenantId :n", ExpressionAttributeValues: { ":n": 1 } },
    ],
    [
      "a nested SET",
      {
        UpdateExpression: "SET tenantId.x = :n, secret = :s",
        ExpressionAttributeValues: { ":n": "a", ":s": "s" },
      },
    ],
    ["legacy AttributeUpdates", { AttributeUpdates: { tenantId: { Action: "DELETE" as const } } }],
  ])(
    "an update that changes the choosing attribute by %s is refused with tenant.attributeChanged, nothing sent",
    async (_, change) => {
      const { fake, doc } = setup(tenantConfig());
      await expectRefused(
        doc.send(new UpdateCommand({ TableName: "Orders", Key: { pk: "o1" }, ...change })),
        fake,
        "tenant.attributeChanged",
      );
    },
  );

  it("a PartiQL UPDATE that sets the choosing attribute without WHERE pinning it, or removes it, is refused, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await expectRefused(
      doc.send(
        new DocExecuteStatementCommand({
          Statement: `UPDATE "Orders" SET tenantId = 'globex' WHERE pk = ?`,
          Parameters: ["o1"],
        }),
      ),
      fake,
      "tenant.attributeChanged",
    );
    await expectRefused(
      doc.send(
        new DocExecuteStatementCommand({
          Statement: `UPDATE "Orders" REMOVE tenantId WHERE pk = ? AND tenantId = ?`,
          Parameters: ["o1", "acme"],
        }),
      ),
      fake,
      "tenant.attributeChanged",
    );
  });

  it.each([
    [
      "a literal",
      `UPDATE "Orders" SET tenantId = 'globex' WHERE pk = ? AND tenantId = ?`,
      ["o1", "acme"],
    ],
    [
      "a parameter",
      `UPDATE "Orders" SET tenantId = ? WHERE pk = ? AND tenantId = 'acme'`,
      ["globex", "o1"],
    ],
    [
      "a number for a string",
      `UPDATE "Orders" SET tenantId = 7 WHERE pk = ? AND tenantId = '7'`,
      ["o1"],
    ],
  ])(
    "a PartiQL UPDATE that sets the choosing attribute, with %s, to another value than WHERE pins is refused, nothing sent",
    async (_, Statement, Parameters) => {
      const { fake, doc } = setup(tenantConfig());
      await expectRefused(
        doc.send(new DocExecuteStatementCommand({ Statement, Parameters })),
        fake,
        "tenant.attributeChanged",
      );
    },
  );

  it("a PartiQL UPDATE that sets the choosing attribute to the value WHERE pins is sent, encrypted under that tenant's key", async () => {
    const { fake, doc } = setup(tenantConfig());
    await doc.send(
      new DocExecuteStatementCommand({
        Statement: `UPDATE "Orders" SET tenantId = ?, secret = ? WHERE pk = ? AND tenantId = ?`,
        Parameters: ["acme", "s-acme", "o1", "acme"],
      }),
    );
    const sent = fake.last("ExecuteStatement").body.Parameters as { S: string }[];
    expect(sent[0]).toEqual({ S: "acme" });
    expect(describeCiphertext(sent[1]!.S)).toMatchObject({ keyId: "local/acme" });
  });

  it("a WriteOnly client writing a value back to an item whose tenant changed is refused, nothing sent", async () => {
    const config = tenantConfig();
    config.tables.Orders!.fields = { secret: { mode: "WriteOnly" } };
    const { fake, doc } = setup(config);
    await doc.send(
      new PutCommand({ TableName: "Orders", Item: { pk: "w1", tenantId: "acme", secret: "sw" } }),
    );
    const { Item } = await doc.send(new GetCommand({ TableName: "Orders", Key: { pk: "w1" } }));
    expect(String(Item?.secret)).toMatch(/^ENC:/);
    // Written back unchanged for the same tenant: kept as it is.
    await doc.send(new PutCommand({ TableName: "Orders", Item: { ...Item } }));
    expect(fake.stored("Orders", { pk: { S: "w1" } })?.secret).toEqual({ S: Item?.secret });
    fake.requests.length = 0;
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Orders", Item: { ...Item, tenantId: "globex" } })),
      fake,
      "tenant.attributeChanged",
    );
  });

  it.each([
    ["the number -0, which DynamoDB stores as 0", { N: "-0" }],
    ["a number with an exponent", { N: "1e2" }],
    ["a binary", { B: new Uint8Array([1]) }],
  ])(
    "a choosing attribute that is %s is refused with tenant.attributeInvalid",
    async (_, tenantId) => {
      const { fake, client } = setup(tenantConfig());
      await expectRefused(
        client.send(
          new PutItemCommand({
            TableName: "Orders",
            Item: { pk: { S: "n1" }, tenantId, secret: { S: "x" } },
          }),
        ),
        fake,
        "tenant.attributeInvalid",
      );
    },
  );

  it("every alternative of a pattern is anchored at the start: text further in the attribute never chooses the tenant", async () => {
    const base = tenantConfig();
    const unanchoredAlternative = "^x|tenant#([^#]+)#";
    const users = base.tables.Users!;
    const config: FieldEncryptionConfig = {
      ...base,
      tables: {
        Users: {
          ...users,
          keyId: { attribute: "pk", pattern: unanchoredAlternative, keys: { acme: "local/acme" } },
          context: { tenant: { attribute: "pk", pattern: unanchoredAlternative } },
        },
      },
    };
    const { fake, doc } = setup(config);
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "org#evil#tenant#acme#", sk: "p", ssn: "x" },
        }),
      ),
      fake,
      "tenant.attributeInvalid",
    );
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: pk("acme"), sk: "p", ssn: "x" } }),
    );
    // A pattern that is only valid once wrapped, closing the wrapper's group itself, is refused.
    expect(() =>
      setup({
        ...config,
        tables: {
          Users: {
            ...users,
            context: { tenant: { attribute: "pk", pattern: "^x)|(tenant#([^#]+)#" } },
          },
        },
      }),
    ).toThrow("not a valid regular expression");
  });

  it("a pattern runs on at most 2,048 characters: a key of 2,048 is written, one of 2,049 is refused with tenant.attributeInvalid", async () => {
    const { fake, doc } = setup(tenantConfig());
    const head = "tenant#acme#";
    const key = (length: number) => head + "x".repeat(length - head.length);
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: key(2048), sk: "p", ssn: "x" } }),
    );
    const stored = fake.stored("Users", { pk: { S: key(2048) }, sk: { S: "p" } })!;
    expect(describeCiphertext((stored.ssn as { S: string }).S)).toMatchObject({
      keyId: "local/acme",
    });
    fake.requests.length = 0;
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { pk: key(2049), sk: "p", ssn: "x" } })),
      fake,
      "tenant.attributeInvalid",
    );
  });

  it("one tenant's revoked key fails only that tenant's items of a mixed page (skipped with undecryptableItems: skip)", async () => {
    class RevokedForGlobex extends LocalKeyProvider {
      override decryptDataKey(
        wrapped: Uint8Array,
        context: Record<string, string>,
        keyIds: readonly string[],
      ) {
        if (keyIds.includes("local/globex"))
          return Promise.reject(new EncryptionError("kms.accessDenied", "denied"));
        return super.decryptDataKey(wrapped, context, keyIds);
      }
    }
    const events: FieldEncryptionEvent[] = [];
    const config = tenantConfig(events);
    const writer = setup(config);
    for (const tenantId of ["acme", "globex"])
      await writer.doc.send(
        new PutCommand({
          TableName: "Orders",
          Item: { pk: tenantId, tenantId, secret: `secret of ${tenantId}` },
        }),
      );
    const revoked = (undecryptableItems: "fail" | "skip") => {
      const reader = setup({
        ...config,
        keyProvider: new RevokedForGlobex({ keys: KEYS }),
        undecryptableItems,
      });
      reader.fake.tables.set("Orders", writer.fake.tables.get("Orders")!);
      return reader.doc;
    };
    const { Items } = await revoked("skip").send(new ScanCommand({ TableName: "Orders" }));
    expect(Items).toEqual([{ pk: "acme", tenantId: "acme", secret: "secret of acme" }]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "undecryptable",
        code: "kms.accessDenied",
        key: { pk: { S: "globex" } },
      }),
    );
    const error = await revoked("fail")
      .send(new ScanCommand({ TableName: "Orders" }))
      .then(
        () => undefined,
        (e: unknown) => e as EncryptionError,
      );
    expect(error?.code).toBe("kms.accessDenied");
    expect(error?.items?.map((i) => i.key)).toEqual([{ pk: { S: "globex" } }]);
  });

  it("when every tenant's KMS call in a response is refused, the response fails even with undecryptableItems: skip (the service's own access, not one tenant's)", async () => {
    class RevokedForAll extends LocalKeyProvider {
      override decryptDataKey(): Promise<Uint8Array> {
        return Promise.reject(new EncryptionError("kms.accessDenied", "denied"));
      }
    }
    const config = tenantConfig();
    const writer = setup(config);
    for (const tenantId of ["acme", "globex"])
      await writer.doc.send(
        new PutCommand({
          TableName: "Orders",
          Item: { pk: tenantId, tenantId, secret: `secret of ${tenantId}` },
        }),
      );
    const events: FieldEncryptionEvent[] = [];
    const reader = setup({
      ...config,
      keyProvider: new RevokedForAll({ keys: KEYS }),
      undecryptableItems: "skip",
      onEvent: (e) => events.push(e),
    });
    reader.fake.tables.set("Orders", writer.fake.tables.get("Orders")!);
    const error = await reader.doc.send(new ScanCommand({ TableName: "Orders" })).then(
      () => undefined,
      (e: unknown) => e as EncryptionError,
    );
    expect(error?.code).toBe("kms.accessDenied");
    expect(events.filter((e) => e.type === "undecryptable")).toEqual([]);
  });

  it("a projection of an encrypted field is extended with the choosing attribute, which is stripped from the result", async () => {
    const { fake, doc } = setup(tenantConfig());
    await doc.send(
      new PutCommand({ TableName: "Orders", Item: { pk: "o2", tenantId: "acme", secret: "s" } }),
    );
    const { Item } = await doc.send(
      new GetCommand({ TableName: "Orders", Key: { pk: "o2" }, ProjectionExpression: "secret" }),
    );
    expect(Item).toEqual({ secret: "s" });
    const sent = fake.last("GetItem").body as {
      ProjectionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
    };
    expect(Object.values(sent.ExpressionAttributeNames)).toEqual(
      expect.arrayContaining(["pk", "tenantId"]),
    );
  });

  it("PartiQL: an INSERT takes the tenant from its tuple; one without it is refused, nothing sent", async () => {
    const { fake, client } = setup(tenantConfig());
    await client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "Orders" VALUE {'pk': ?, 'tenantId': ?, 'secret': ?}`,
        Parameters: [{ S: "o3" }, { S: "acme" }, { S: "s" }],
      }),
    );
    const sent = fake.last("ExecuteStatement").body as { Parameters: { S: string }[] };
    expect(describeCiphertext(sent.Parameters[2]!.S)).toMatchObject({ keyId: "local/acme" });
    fake.requests.length = 0;
    await expectRefused(
      client.send(
        new ExecuteStatementCommand({
          Statement: `INSERT INTO "Orders" VALUE {'pk': ?, 'secret': ?}`,
          Parameters: [{ S: "o4" }, { S: "s" }],
        }),
      ),
      fake,
      "tenant.attributeMissing",
    );
  });

  it("PartiQL: an UPDATE takes the tenant from WHERE; a SELECT of encrypted fields without the tenant is refused, nothing sent", async () => {
    const { fake, doc } = setup(tenantConfig());
    await doc.send(
      new DocExecuteStatementCommand({
        Statement: `UPDATE "Orders" SET secret = ? WHERE pk = ? AND tenantId = ?`,
        Parameters: ["s", "o5", "globex"],
      }),
    );
    const sent = fake.last("ExecuteStatement").body as { Parameters: { S: string }[] };
    expect(describeCiphertext(sent.Parameters[0]!.S)).toMatchObject({
      keyId: "local/globex",
    });
    fake.requests.length = 0;
    await expectRefused(
      doc.send(
        new DocExecuteStatementCommand({
          Statement: `SELECT pk, secret FROM "Orders" WHERE pk = ?`,
          Parameters: ["o5"],
        }),
      ),
      fake,
      "tenant.attributeMissing",
    );
  });

  it("a key function runs once per tenant (its result is cached) and a promise from it is refused", async () => {
    let runs = 0;
    const config = tenantConfig();
    config.tables.Orders!.keyId = {
      attributes: ["tenantId"],
      choose: ({ tenantId }) => {
        runs++;
        return tenantId === "acme" ? "local/acme" : undefined;
      },
    };
    const { fake, doc } = setup(config);
    for (let i = 0; i < 5; i++)
      await doc.send(
        new PutCommand({
          TableName: "Orders",
          Item: { pk: `f${i}`, tenantId: "acme", secret: "s" },
        }),
      );
    expect(runs).toBe(1);
    fake.requests.length = 0;
    await expectRefused(
      doc.send(
        new PutCommand({ TableName: "Orders", Item: { pk: "f9", tenantId: "other", secret: "s" } }),
      ),
      fake,
      "tenant.keyUnmapped",
    );
    const promising = tenantConfig();
    promising.tables.Orders!.keyId = {
      attributes: ["tenantId"],
      choose: () => Promise.resolve("local/acme") as unknown as string,
    };
    const second = setup(promising);
    await expectRefused(
      second.doc.send(
        new PutCommand({ TableName: "Orders", Item: { pk: "f1", tenantId: "acme", secret: "s" } }),
      ),
      second.fake,
      "tenant.keyInvalid",
    );
  });

  it("reading a stored item whose tenant the key map does not list fails with tenant.keyUnmapped", async () => {
    const writer = tenantConfig();
    const orders = writer.tables.Orders!;
    orders.keyId = { attribute: "tenantId", keys: { initech: "local/initech" } };
    const { fake, client } = setup(writer);
    await client.send(
      new PutItemCommand({
        TableName: "Orders",
        Item: { pk: { S: "o9" }, tenantId: { S: "initech" }, secret: { S: "s" } },
      }),
    );
    const reader = setup(tenantConfig());
    reader.fake.tables.set("Orders", fake.tables.get("Orders")!);
    await expect(
      reader.client.send(new GetItemCommand({ TableName: "Orders", Key: { pk: { S: "o9" } } })),
    ).rejects.toMatchObject({ code: "tenant.keyUnmapped", field: "secret" });
  });
});

describe("the standalone item API shares the per-tenant engine", () => {
  it("createItemEncryptor encrypts each item under its tenant's key, and the plugin reads it", async () => {
    const config = tenantConfig();
    const encryptor = createItemEncryptor(config);
    const item = { pk: { S: pk("initech") }, sk: { S: "p" }, ssn: { S: "via-items" } };
    const stored = await encryptor.encryptItem("Users", item);
    expect(item.ssn.S).toBe("via-items");
    expect(describeCiphertext((stored.ssn as { S: string }).S)).toMatchObject({
      keyId: "local/initech",
    });
    const { fake, doc } = setup(config);
    fake.tables.get("Users")!.set(JSON.stringify([item.pk, item.sk]), stored);
    const { Item } = await doc.send(
      new GetCommand({ TableName: "Users", Key: { pk: pk("initech"), sk: "p" } }),
    );
    expect(Item?.ssn).toBe("via-items");
    await expect(
      encryptor.encryptItem("Users", { pk: { S: "nobody" }, sk: { S: "p" }, ssn: { S: "x" } }),
    ).rejects.toMatchObject({ code: "tenant.attributeInvalid" });
  });
});
