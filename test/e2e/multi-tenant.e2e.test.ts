import {
  type DynamoDBClient,
  DynamoDBClient as LowLevelClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { EncryptionError, fieldEncryption, type FieldEncryptionConfig } from "../../src";
import { KmsTestServer } from "../../src/testing";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "../support/dynamodb";

const table = uniqueTableName("tenants");
/** Tenant in a non-key attribute, every tenant under one shared key: only the context (and binding) separates them. */
const orders = uniqueTableName("tenant-orders");
const TENANTS = ["acme", "globex", "initech"] as const;
type Tenant = (typeof TENANTS)[number];
const TENANT = "^tenant#([^#]+)#";
let kms: KmsTestServer;
let plain: DynamoDBClient;
const keyArns = {} as Record<Tenant, string>;

/** Every KMS call a client made: operation and encryption context. */
interface KmsCall {
  operation: string;
  tenant: string | undefined;
}

interface TenantClient {
  doc: DynamoDBDocumentClient;
  calls: KmsCall[];
  destroy(): void;
}
const opened: TenantClient[] = [];

function config(keys: Record<string, string> = keyArns): Omit<FieldEncryptionConfig, "kmsClient"> {
  return {
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        keyId: { attribute: "pk", pattern: TENANT, keys: { ...keys } },
        context: { tenant: { attribute: "pk", pattern: TENANT }, app: "saas" },
        fields: { ssn: {}, "card.number": {} },
      },
      [orders]: {
        partitionKey: "pk",
        keyId: "alias/shared-orders",
        context: { tenant: { attribute: "tenantId" } },
        fields: { secret: {} },
      },
    },
  };
}

/** One plugin client for every tenant, calling KMS as `accessKeyId`, recording each KMS call's context. */
function tenantClient(accessKeyId = "saas", keys: Record<string, string> = keyArns): TenantClient {
  const kmsClient: KMSClient = kms.client({ accessKeyId, maxAttempts: 1 });
  const calls: KmsCall[] = [];
  kmsClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { EncryptionContext?: Record<string, string> };
      calls.push({ operation: context.commandName!, tenant: input.EncryptionContext?.tenant });
      return next(args);
    },
    { step: "initialize", name: "recordKmsCalls" },
  );
  const client = new LowLevelClient({
    endpoint: dynamoEndpoint(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  client.middlewareStack.use(fieldEncryption({ ...config(keys), kmsClient }));
  const doc = DynamoDBDocumentClient.from(client);
  const opened_ = {
    doc,
    calls,
    destroy() {
      client.destroy();
      kmsClient.destroy();
    },
  };
  opened.push(opened_);
  return opened_;
}

const pk = (tenant: string, org = "org") => `tenant#${tenant}#${org}`;
const count = (calls: KmsCall[], operation: string, tenant?: string) =>
  calls.filter((c) => c.operation === operation && (tenant === undefined || c.tenant === tenant))
    .length;

async function stored(key: { pk: string; sk: string }) {
  const { Item } = await plain.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
  );
  return Item;
}

beforeAll(async () => {
  kms = await KmsTestServer.start();
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk", sortKey: "sk" });
  await createTable(plain, orders, { partitionKey: "pk" });
  kms.createKey({ alias: "alias/shared-orders" });
  for (const tenant of TENANTS) {
    const { arn } = kms.createKey({ description: tenant });
    keyArns[tenant] = arn;
    // Each tenant's own key (BYOK): the service may use it only with that tenant's context; the tenant's own role too.
    kms.setKeyPolicy(arn, [
      {
        principals: ["saas"],
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        encryptionContext: { tenant },
      },
      { principals: [`role-${tenant}`], actions: ["kms:Decrypt", "kms:GenerateDataKey"] },
    ]);
  }
});

afterAll(async () => {
  for (const c of opened.splice(0)) c.destroy();
  await deleteTable(plain, table);
  await deleteTable(plain, orders);
  plain.destroy();
  await kms.stop();
});

describe("one client for three tenants, each with its own KMS key and context", () => {
  it("put and get per tenant: stored as ENC: under the tenant's key, one GenerateDataKey per tenant", async () => {
    const app = tenantClient();
    for (const tenant of TENANTS)
      for (const user of ["1", "2", "3"])
        await app.doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: pk(tenant),
              sk: `user#${user}`,
              ssn: `${tenant}-ssn-${user}`,
              card: { number: `${tenant}-4111` },
            },
          }),
        );
    for (const tenant of TENANTS)
      expect(count(app.calls, "GenerateDataKeyCommand", tenant)).toBe(1);
    expect(count(app.calls, "GenerateDataKeyCommand")).toBe(3);
    const raw = await stored({ pk: pk("acme"), sk: "user#1" });
    expect(raw?.ssn?.S).toMatch(/^ENC:/);
    expect(JSON.stringify(raw)).not.toContain("acme-ssn-1");
    const reader = tenantClient();
    for (const tenant of TENANTS) {
      const { Item } = await reader.doc.send(
        new GetCommand({ TableName: table, Key: { pk: pk(tenant), sk: "user#2" } }),
      );
      expect(Item).toEqual({
        pk: pk(tenant),
        sk: "user#2",
        ssn: `${tenant}-ssn-2`,
        card: { number: `${tenant}-4111` },
      });
    }
  });

  it("a query across a partition decrypts every item with one Decrypt for the tenant's data key", async () => {
    const writer = tenantClient();
    for (let i = 0; i < 12; i++)
      await writer.doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk: pk("globex", "q"), sk: `item#${String(i).padStart(2, "0")}`, ssn: `g${i}` },
        }),
      );
    const reader = tenantClient();
    const { Items } = await reader.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": pk("globex", "q") },
        ProjectionExpression: "sk, ssn",
      }),
    );
    expect(Items!.map((i) => i.ssn)).toEqual(Array.from({ length: 12 }, (_, i) => `g${i}`));
    // The projection was extended with pk (which chooses key and context) and the extension stripped.
    expect(Items![0]).toEqual({ sk: "item#00", ssn: "g0" });
    expect(count(reader.calls, "DecryptCommand", "globex")).toBe(1);
    expect(count(reader.calls, "DecryptCommand")).toBe(1);
  });

  it("batch write and batch get across tenants, then transactions across tenants", async () => {
    const app = tenantClient();
    await app.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: TENANTS.map((tenant) => ({
            PutRequest: { Item: { pk: pk(tenant, "b"), sk: "1", ssn: `batch-${tenant}` } },
          })),
        },
      }),
    );
    expect(count(app.calls, "GenerateDataKeyCommand")).toBe(3);
    const reader = tenantClient();
    const got = await reader.doc.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: TENANTS.map((t) => ({ pk: pk(t, "b"), sk: "1" })) } },
      }),
    );
    expect(new Set(got.Responses![table]!.map((i) => i.ssn))).toEqual(
      new Set(TENANTS.map((t) => `batch-${t}`)),
    );
    for (const tenant of TENANTS) expect(count(reader.calls, "DecryptCommand", tenant)).toBe(1);

    await app.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: pk("acme", "t"), sk: "1", ssn: "tx-acme" } } },
          {
            Update: {
              TableName: table,
              Key: { pk: pk("initech", "t"), sk: "1" },
              UpdateExpression: "SET ssn = :s",
              ExpressionAttributeValues: { ":s": "tx-initech" },
            },
          },
        ],
      }),
    );
    const tx = await reader.doc.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: table, Key: { pk: pk("acme", "t"), sk: "1" } } },
          { Get: { TableName: table, Key: { pk: pk("initech", "t"), sk: "1" } } },
        ],
      }),
    );
    expect(tx.Responses!.map((r) => r.Item?.ssn)).toEqual(["tx-acme", "tx-initech"]);
  });

  it("updates take the tenant from Key: SET and ReturnValues decrypted under the tenant's key", async () => {
    const app = tenantClient();
    const out = await app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: pk("initech", "u"), sk: "1" },
        UpdateExpression: "SET ssn = :s, card = :c",
        ExpressionAttributeValues: { ":s": "upd", ":c": { number: "4000" } },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(out.Attributes).toEqual({ ssn: "upd", card: { number: "4000" } });
    expect(count(app.calls, "GenerateDataKeyCommand", "initech")).toBe(1);
    const { Item } = await tenantClient().doc.send(
      new GetCommand({ TableName: table, Key: { pk: pk("initech", "u"), sk: "1" } }),
    );
    expect(Item?.ssn).toBe("upd");
  });

  it("PartiQL: INSERT takes the tenant from its tuple, UPDATE and SELECT from the WHERE key", async () => {
    const app = tenantClient();
    await app.doc.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'ssn': ?}`,
        Parameters: [pk("acme", "p"), "1", "pq-1"],
      }),
    );
    await app.doc.send(
      new ExecuteStatementCommand({
        Statement: `UPDATE "${table}" SET ssn = ? WHERE pk = ? AND sk = ?`,
        Parameters: ["pq-2", pk("acme", "p"), "1"],
      }),
    );
    const { Items } = await tenantClient().doc.send(
      new ExecuteStatementCommand({
        Statement: `SELECT ssn FROM "${table}" WHERE pk = ? AND sk = ?`,
        Parameters: [pk("acme", "p"), "1"],
      }),
    );
    expect(Items).toEqual([{ ssn: "pq-2" }]);
    expect((await stored({ pk: pk("acme", "p"), sk: "1" }))?.ssn?.S).toMatch(/^ENC:/);
  });

  it("an item whose key does not name a tenant is refused with tenant.attributeInvalid and nothing is stored", async () => {
    const app = tenantClient();
    await expect(
      app.doc.send(
        new PutCommand({ TableName: table, Item: { pk: "no-tenant", sk: "1", ssn: "x" } }),
      ),
    ).rejects.toMatchObject({ code: "tenant.attributeInvalid" });
    await expect(
      app.doc.send(
        new PutCommand({ TableName: table, Item: { pk: pk("umbrella"), sk: "1", ssn: "x" } }),
      ),
    ).rejects.toMatchObject({ code: "tenant.keyUnmapped" });
    expect(await stored({ pk: "no-tenant", sk: "1" })).toBeUndefined();
    expect(await stored({ pk: pk("umbrella"), sk: "1" })).toBeUndefined();
    expect(app.calls).toHaveLength(0);
  });

  it("tenant A's ciphertext copied into tenant B's item is refused", async () => {
    const app = tenantClient();
    await app.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: pk("acme", "c"), sk: "1", ssn: "acme-secret" },
      }),
    );
    const a = await stored({ pk: pk("acme", "c"), sk: "1" });
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: pk("globex", "c") }, sk: { S: "1" }, ssn: a!.ssn! },
      }),
    );
    const error = await tenantClient()
      .doc.send(new GetCommand({ TableName: table, Key: { pk: pk("globex", "c"), sk: "1" } }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("kms.incorrectKey");
    expect((error as Error).message).not.toContain("acme-secret");
  });

  it("tenant B's KMS credentials alone cannot read tenant A's values", async () => {
    const app = tenantClient();
    await app.doc.send(
      new PutCommand({ TableName: table, Item: { pk: pk("acme", "r"), sk: "1", ssn: "a" } }),
    );
    await app.doc.send(
      new PutCommand({ TableName: table, Item: { pk: pk("globex", "r"), sk: "1", ssn: "g" } }),
    );
    const globexRole = tenantClient("role-globex");
    const own = await globexRole.doc.send(
      new GetCommand({ TableName: table, Key: { pk: pk("globex", "r"), sk: "1" } }),
    );
    expect(own.Item?.ssn).toBe("g");
    await expect(
      globexRole.doc.send(
        new GetCommand({ TableName: table, Key: { pk: pk("acme", "r"), sk: "1" } }),
      ),
    ).rejects.toMatchObject({ code: "kms.accessDenied", field: "ssn" });
  });

  it("the key policy's encryption-context condition refuses the service another tenant's context on a tenant's key", async () => {
    const app = tenantClient();
    await app.doc.send(
      new PutCommand({ TableName: table, Item: { pk: pk("acme", "k"), sk: "1", ssn: "a" } }),
    );
    // A bug maps globex to acme's key: the same principal, but globex's context, which acme's policy does not allow.
    const misrouted = tenantClient("saas", { ...keyArns, globex: keyArns.acme });
    await expect(
      misrouted.doc.send(
        new PutCommand({ TableName: table, Item: { pk: pk("globex", "k"), sk: "1", ssn: "g" } }),
      ),
    ).rejects.toMatchObject({ code: "kms.accessDenied" });
    expect(await stored({ pk: pk("globex", "k"), sk: "1" })).toBeUndefined();
    // acme's value copied into globex's item: Decrypt under acme's key with globex's context is denied by the policy.
    const a = await stored({ pk: pk("acme", "k"), sk: "1" });
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: pk("globex", "k") }, sk: { S: "1" }, ssn: a!.ssn! },
      }),
    );
    await expect(
      misrouted.doc.send(
        new GetCommand({ TableName: table, Key: { pk: pk("globex", "k"), sk: "1" } }),
      ),
    ).rejects.toMatchObject({ code: "kms.accessDenied" });
    expect(count(misrouted.calls, "DecryptCommand", "globex")).toBe(1);
  });

  it("tenant in a non-key attribute: SET of another tenant on an existing item is refused by DynamoDB, and the value stays readable", async () => {
    const app = tenantClient();
    await app.doc.send(
      new PutCommand({ TableName: orders, Item: { pk: "o1", tenantId: "acme", secret: "s-acme" } }),
    );
    await expect(
      app.doc.send(
        new UpdateCommand({
          TableName: orders,
          Key: { pk: "o1" },
          UpdateExpression: "SET tenantId = :t",
          ExpressionAttributeValues: { ":t": "globex" },
        }),
      ),
    ).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    await expect(
      app.doc.send(
        new UpdateCommand({
          TableName: orders,
          Key: { pk: "o1" },
          UpdateExpression: "REMOVE tenantId",
        }),
      ),
    ).rejects.toMatchObject({ code: "tenant.attributeChanged" });
    // The same tenant set again with a new value is allowed; a new item takes its tenant from the update.
    await app.doc.send(
      new UpdateCommand({
        TableName: orders,
        Key: { pk: "o1" },
        UpdateExpression: "SET tenantId = :t, secret = :s",
        ExpressionAttributeValues: { ":t": "acme", ":s": "s2-acme" },
      }),
    );
    await app.doc.send(
      new UpdateCommand({
        TableName: orders,
        Key: { pk: "o2" },
        UpdateExpression: "SET tenantId = :t, secret = :s",
        ExpressionAttributeValues: { ":t": "globex", ":s": "s-globex" },
      }),
    );
    const reader = tenantClient();
    for (const [key, secret] of [
      ["o1", "s2-acme"],
      ["o2", "s-globex"],
    ] as const) {
      const { Item } = await reader.doc.send(
        new GetCommand({ TableName: orders, Key: { pk: key } }),
      );
      expect(Item?.secret).toBe(secret);
    }
    // Under the shared key, acme's value in globex's item fails through the context.
    const raw = (
      await plain.send(new GetItemCommand({ TableName: orders, Key: { pk: { S: "o1" } } }))
    ).Item!;
    await plain.send(
      new PutItemCommand({
        TableName: orders,
        Item: { pk: { S: "o1" }, tenantId: { S: "globex" }, secret: raw.secret! },
      }),
    );
    await expect(
      reader.doc.send(new GetCommand({ TableName: orders, Key: { pk: "o1" } })),
    ).rejects.toMatchObject({ code: "kms.invalidCiphertext" });
  });

  it("a tenant that revokes the service's access gets kms.accessDenied; the other tenants keep working", async () => {
    const app = tenantClient();
    for (const tenant of TENANTS)
      await app.doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk: pk(tenant, "v"), sk: "1", ssn: `ssn of ${tenant}` },
        }),
      );
    kms.setKeyPolicy(keyArns.initech, []);
    try {
      const reader = tenantClient();
      await expect(
        reader.doc.send(
          new GetCommand({ TableName: table, Key: { pk: pk("initech", "v"), sk: "1" } }),
        ),
      ).rejects.toMatchObject({ code: "kms.accessDenied" });
      for (const tenant of ["acme", "globex"]) {
        const { Item } = await reader.doc.send(
          new GetCommand({ TableName: table, Key: { pk: pk(tenant, "v"), sk: "1" } }),
        );
        expect(Item?.ssn).toBe(`ssn of ${tenant}`);
      }
    } finally {
      kms.setKeyPolicy(keyArns.initech, [
        {
          principals: ["saas"],
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          encryptionContext: { tenant: "initech" },
        },
        { principals: ["role-initech"], actions: ["kms:Decrypt", "kms:GenerateDataKey"] },
      ]);
    }
  });

  it("property: over random tenants and writes, every value reads back for its tenant and never under another's key or context", async () => {
    const app = tenantClient();
    const op = fc.record({
      tenant: fc.constantFrom(...TENANTS),
      item: fc.integer({ min: 0, max: 3 }),
      value: fc.string({ minLength: 1, maxLength: 12 }),
      via: fc.constantFrom("put", "update", "partiql"),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...TENANTS),
        async (ops, thief) => {
          run++;
          const org = `prop${run}`;
          const latest = new Map<string, { tenant: Tenant; value: string }>();
          for (const { tenant, item, value, via } of ops) {
            const key = { pk: pk(tenant, org), sk: String(item) };
            if (via === "put")
              await app.doc.send(
                new PutCommand({ TableName: table, Item: { ...key, ssn: value } }),
              );
            else if (via === "update")
              await app.doc.send(
                new UpdateCommand({
                  TableName: table,
                  Key: key,
                  UpdateExpression: "SET ssn = :v",
                  ExpressionAttributeValues: { ":v": value },
                }),
              );
            else
              await app.doc.send(
                new ExecuteStatementCommand(
                  // PartiQL UPDATE needs an existing item; INSERT needs a new one.
                  latest.has(`${tenant}/${item}`)
                    ? {
                        Statement: `UPDATE "${table}" SET ssn = ? WHERE pk = ? AND sk = ?`,
                        Parameters: [value, key.pk, key.sk],
                      }
                    : {
                        Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'ssn': ?}`,
                        Parameters: [key.pk, key.sk, value],
                      },
                ),
              );
            latest.set(`${tenant}/${item}`, { tenant, value });
          }
          for (const [id, { tenant, value }] of latest) {
            const item = id.split("/")[1]!;
            const key = { pk: pk(tenant, org), sk: item };
            const { Item } = await app.doc.send(new GetCommand({ TableName: table, Key: key }));
            expect(Item?.ssn).toBe(value);
            if (thief === tenant) continue;
            // The same ciphertext in the thief tenant's item (same item name) must not open.
            const raw = await stored(key);
            const stolen = { pk: pk(thief, `${org}-stolen`), sk: item };
            await plain.send(
              new PutItemCommand({
                TableName: table,
                Item: { pk: { S: stolen.pk }, sk: { S: stolen.sk }, ssn: raw!.ssn! },
              }),
            );
            // Another tenant's key: the thief's item names its own key, which cannot open the value.
            await expect(
              app.doc.send(new GetCommand({ TableName: table, Key: stolen })),
            ).rejects.toMatchObject({ code: "kms.incorrectKey" });
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
