import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  type FieldEncryptionConfig,
  LocalKeyProvider,
  describeCiphertext,
  fieldEncryption,
  migrateTable,
} from "../../src";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";

jest.setTimeout(60_000);

const table = uniqueTableName("mig-ro-tenant");
const provider = new LocalKeyProvider({
  keys: { "local/acme": randomBytes(32), "local/globex": randomBytes(32) },
});
let plain: DynamoDBClient;

/** `ssn` is ReadOnly for the application, with its key chosen by the item's tenant. */
const config: FieldEncryptionConfig = {
  keyProvider: provider,
  tables: {
    [table]: {
      partitionKey: "pk",
      keyId: { attribute: "tenantId", keys: { acme: "local/acme", globex: "local/globex" } },
      context: { tenant: { attribute: "tenantId" } },
      fields: { ssn: { mode: "ReadOnly", allowPlaintext: true } },
    },
  },
};

beforeAll(async () => {
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  for (const [pk, tenantId] of [
    ["a1", "acme"],
    ["g1", "globex"],
  ] as const)
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: pk }, tenantId: { S: tenantId }, ssn: { S: `ssn-${pk}` } },
      }),
    );
});
afterAll(async () => {
  await deleteTable(plain, table);
});

it("migrate encrypts a ReadOnly field whose key is chosen per tenant, each under its tenant's key", async () => {
  const report = await migrateTable({
    config,
    table,
    client: plain,
    checkpoint: { file: join(tmpdir(), `${table}.checkpoint.json`) },
  });
  expect(report.items).toMatchObject({ rewritten: 2, failed: 0 });
  expect(report.status).toBe("ok");
  const reader = plainDynamoClient();
  reader.middlewareStack.use(fieldEncryption(config));
  for (const [pk, key] of [
    ["a1", "local/acme"],
    ["g1", "local/globex"],
  ] as const) {
    const raw = (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } })))
      .Item!;
    expect(raw.ssn!.S).toMatch(/^ENC:/);
    expect(describeCiphertext(raw.ssn!.S!)).toMatchObject({ keyId: key });
    const read = await reader.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }),
    );
    expect(read.Item!.ssn).toEqual({ S: `ssn-${pk}` });
  }
});
