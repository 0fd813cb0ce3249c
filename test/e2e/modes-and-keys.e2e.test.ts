import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { FieldEncryptionConfig } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool } from "../support/e2e-setup";

const table = uniqueTableName("modes");
const other = uniqueTableName("modes-other");
let kms: KmsTestServer;
let plain: DynamoDBClient;
const pool = pluginClientPool();

const fields = { ssn: {}, "card.number": {} };
const config = (
  mode?: "ReadWrite" | "WriteOnly" | "ReadOnly",
  extra: Partial<FieldEncryptionConfig> = {},
): Omit<FieldEncryptionConfig, "kmsClient"> => ({
  keyId: "alias/app-data",
  context: { app: "modes" },
  ...(mode ? { mode } : {}),
  tables: { [table]: { partitionKey: "pk", fields }, [other]: { partitionKey: "pk", fields } },
  ...extra,
});
const clients = pool.open;

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  kms.grant("ingest", ["kms:GenerateDataKey"]);
  kms.grant("reports", ["kms:Decrypt"]);
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  await createTable(plain, other, { partitionKey: "pk" });
});

afterAll(async () => {
  pool.destroyAll();
  await deleteTable(plain, table);
  await deleteTable(plain, other);
  plain.destroy();
  await kms.stop();
});

beforeEach(() => kms.resetCalls());

describe("modes with least-privilege KMS permissions", () => {
  it("a WriteOnly service needs only kms:GenerateDataKey; a ReadOnly one only kms:Decrypt", async () => {
    const ingest = clients(kms, config("WriteOnly"), "ingest");
    const reports = clients(kms, config("ReadOnly"), "reports");
    await ingest.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "lp", ssn: "123-45-6789", card: { number: "4111" } },
      }),
    );
    expect(kms.calls("GenerateDataKey")).toBe(1);
    const read = await reports.doc.send(new GetCommand({ TableName: table, Key: { pk: "lp" } }));
    expect(read.Item).toEqual({ pk: "lp", ssn: "123-45-6789", card: { number: "4111" } });
    expect(kms.calls("Decrypt")).toBe(1);
  });

  it("the permissions are real: the ingest credentials cannot decrypt, the reports ones cannot make data keys", async () => {
    const ingestReadWrite = clients(kms, config("ReadWrite"), "ingest");
    const reportsReadWrite = clients(kms, config("ReadWrite"), "reports");
    await clients(kms, config()).doc.send(
      new PutCommand({ TableName: table, Item: { pk: "perm", ssn: "1" } }),
    );
    await expect(
      ingestReadWrite.doc.send(new GetCommand({ TableName: table, Key: { pk: "perm" } })),
    ).rejects.toMatchObject({ code: "kms.accessDenied", field: "ssn" });
    await expect(
      reportsReadWrite.doc.send(
        new PutCommand({ TableName: table, Item: { pk: "perm2", ssn: "1" } }),
      ),
    ).rejects.toMatchObject({ code: "kms.accessDenied" });
    expect(
      (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "perm2" } } })))
        .Item,
    ).toBeUndefined();
  });

  it("WriteOnly reads return the stored ciphertext with no KMS call, and writing it back stores it unchanged", async () => {
    const ingest = clients(kms, config("WriteOnly"), "ingest");
    await ingest.doc.send(
      new PutCommand({ TableName: table, Item: { pk: "wo", ssn: "123-45-6789", name: "Ada" } }),
    );
    const storedBefore = (
      await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "wo" } } }))
    ).Item!;
    kms.resetCalls();
    const read = (await ingest.doc.send(new GetCommand({ TableName: table, Key: { pk: "wo" } })))
      .Item!;
    expect(read.ssn).toBe(storedBefore.ssn!.S);
    expect(kms.calls()).toBe(0);
    await ingest.doc.send(new PutCommand({ TableName: table, Item: { ...read, name: "Ada L." } }));
    const storedAfter = (
      await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "wo" } } }))
    ).Item!;
    expect(storedAfter.ssn).toEqual(storedBefore.ssn);
    const reports = clients(kms, config("ReadOnly"), "reports");
    expect(
      (await reports.doc.send(new GetCommand({ TableName: table, Key: { pk: "wo" } }))).Item,
    ).toEqual({ pk: "wo", ssn: "123-45-6789", name: "Ada L." });
  });

  it("ReadOnly writes of a field are refused with nothing stored and no KMS call", async () => {
    const reports = clients(kms, config("ReadOnly"), "reports");
    await expect(
      reports.doc.send(
        new PutCommand({ TableName: table, Item: { pk: "ro", ssn: "123-45-6789" } }),
      ),
    ).rejects.toMatchObject({ code: "mode.readOnlyWrite" });
    await expect(
      reports.doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: [{ PutRequest: { Item: { pk: "ro", card: { number: "1" } } } }],
          },
        }),
      ),
    ).rejects.toMatchObject({
      code: "mode.readOnlyWrite",
      field: "card.number",
    });
    expect(
      (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "ro" } } }))).Item,
    ).toBeUndefined();
    expect(kms.calls()).toBe(0);
  });
});

describe("stored ciphertext moved with a plain client is detected", () => {
  const app = () => clients(kms, config());
  async function storedSsn(pk: string, t = table) {
    return (await plain.send(new GetItemCommand({ TableName: t, Key: { pk: { S: pk } } }))).Item!
      .ssn!;
  }

  it("to another item", async () => {
    const c = app();
    await c.doc.send(new PutCommand({ TableName: table, Item: { pk: "swap-a", ssn: "111" } }));
    await c.doc.send(new PutCommand({ TableName: table, Item: { pk: "swap-b", ssn: "222" } }));
    await plain.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "swap-b" } },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": await storedSsn("swap-a") },
      }),
    );
    await expect(
      c.doc.send(new GetCommand({ TableName: table, Key: { pk: "swap-b" } })),
    ).rejects.toMatchObject({ code: "ciphertext.tampered", field: "ssn" });
  });

  it("to another field", async () => {
    const c = app();
    await c.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "field", ssn: "111", card: { number: "x" } },
      }),
    );
    await plain.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "field" } },
        UpdateExpression: "SET card.#n = :v",
        ExpressionAttributeNames: { "#n": "number" },
        ExpressionAttributeValues: { ":v": await storedSsn("field") },
      }),
    );
    await expect(
      c.doc.send(new GetCommand({ TableName: table, Key: { pk: "field" } })),
    ).rejects.toMatchObject({ code: "ciphertext.tampered", field: "card.number" });
  });

  it("to another table", async () => {
    const c = app();
    await c.doc.send(new PutCommand({ TableName: table, Item: { pk: "tbl", ssn: "111" } }));
    await plain.send(
      new PutItemCommand({
        TableName: other,
        Item: { pk: { S: "tbl" }, ssn: await storedSsn("tbl") },
      }),
    );
    await expect(
      c.doc.send(new GetCommand({ TableName: other, Key: { pk: "tbl" } })),
    ).rejects.toMatchObject({ code: "ciphertext.tampered", table: other });
  });

  it("with a changed encryption context in the config", async () => {
    await app().doc.send(new PutCommand({ TableName: table, Item: { pk: "ctx", ssn: "111" } }));
    const otherContext = clients(kms, config(undefined, { context: { app: "other" } }));
    await expect(
      otherContext.doc.send(new GetCommand({ TableName: table, Key: { pk: "ctx" } })),
    ).rejects.toMatchObject({ code: "kms.invalidCiphertext" });
  });
});

describe("KMS key state", () => {
  it("a disabled key gives kms.keyDisabled on write and read, and the client works again once it is enabled", async () => {
    const { keyId } = kms.createKey({ alias: "alias/disable-me" });
    const c = clients(kms, config(undefined, { keyId: "alias/disable-me", cache: false }));
    await c.doc.send(new PutCommand({ TableName: table, Item: { pk: "dis", ssn: "1" } }));
    kms.disableKey(keyId);
    await expect(
      c.doc.send(new PutCommand({ TableName: table, Item: { pk: "dis2", ssn: "1" } })),
    ).rejects.toMatchObject({ code: "kms.keyDisabled" });
    await expect(
      c.doc.send(new GetCommand({ TableName: table, Key: { pk: "dis" } })),
    ).rejects.toMatchObject({ code: "kms.keyDisabled" });
    kms.enableKey(keyId);
    expect(
      (await c.doc.send(new GetCommand({ TableName: table, Key: { pk: "dis" } }))).Item,
    ).toEqual({ pk: "dis", ssn: "1" });
  });

  it("an unknown alias gives kms.keyNotFound and stores nothing", async () => {
    const c = clients(kms, config(undefined, { keyId: "alias/nope" }));
    await expect(
      c.doc.send(new PutCommand({ TableName: table, Item: { pk: "nf", ssn: "1" } })),
    ).rejects.toMatchObject({ code: "kms.keyNotFound" });
    expect(
      (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "nf" } } }))).Item,
    ).toBeUndefined();
  });
});

describe("KMS calls for 1,000 items (reported in README)", () => {
  it("1,000 puts make 1 GenerateDataKey; reading them back in a fresh client makes 1 Decrypt", async () => {
    const bulk = uniqueTableName("bulk");
    await createTable(plain, bulk, { partitionKey: "pk", sortKey: "sk" });
    const cfg = {
      keyId: "alias/app-data",
      tables: { [bulk]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } } },
    };
    const writer = clients(kms, cfg);
    kms.resetCalls();
    const items = Array.from({ length: 1000 }, (_, i) => ({
      pk: "bulk",
      sk: String(i).padStart(4, "0"),
      ssn: `ssn-${i}`,
    }));
    for (let i = 0; i < items.length; i += 100) {
      await Promise.all(
        items
          .slice(i, i + 100)
          .map((Item) => writer.doc.send(new PutCommand({ TableName: bulk, Item }))),
      );
    }
    const generateDataKey = kms.calls("GenerateDataKey");
    const reader = clients(kms, cfg);
    const read = [];
    let cursor: Record<string, any> | undefined;
    do {
      const page = await reader.doc.send(
        new QueryCommand({
          TableName: bulk,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": "bulk" },
          ExclusiveStartKey: cursor,
        }),
      );
      read.push(...page.Items!);
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    expect(read).toEqual(items);
    const decrypt = kms.calls("Decrypt");
    process.stdout.write(
      `KMS calls for 1,000 items: ${generateDataKey} GenerateDataKey to write, ${decrypt} Decrypt to read back\n`,
    );
    expect(generateDataKey).toBe(1);
    expect(decrypt).toBe(1);
    await deleteTable(plain, bulk);
  }, 60_000);
});
