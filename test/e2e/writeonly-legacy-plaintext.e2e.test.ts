import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  fieldEncryption,
  type FieldEncryptionConfig,
  LocalKeyProvider,
  migrateTable,
} from "../../src";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";

jest.setTimeout(60_000);

const table = uniqueTableName("wo-legacy");
const keys = { "local/app": randomBytes(32) };
const LEGACY = "123-45-6789";
let plain: DynamoDBClient;

function config(mode: "WriteOnly" | "ReadWrite"): FieldEncryptionConfig {
  return {
    keyId: "local/app",
    keyProvider: new LocalKeyProvider({ keys }),
    tables: { [table]: { partitionKey: "pk", mode, allowPlaintext: true, fields: { ssn: {} } } },
  };
}

function pluginClient(mode: "WriteOnly" | "ReadWrite"): DynamoDBClient {
  const client = plainDynamoClient();
  client.middlewareStack.use(fieldEncryption(config(mode)));
  return client;
}

beforeAll(async () => {
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
});
afterAll(async () => {
  await deleteTable(plain, table);
});

async function stored(pk: string) {
  return (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item!;
}

it("a WriteOnly service that read legacy plaintext before a migration writes it back encrypted after it", async () => {
  await plain.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: "u1" }, ssn: { S: LEGACY } } }),
  );
  const service = pluginClient("WriteOnly");
  const read = (
    await service.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "u1" } } }))
  ).Item!;
  expect(read.ssn).toEqual({ S: LEGACY });

  const report = await migrateTable({
    config: config("ReadWrite"),
    table,
    client: plain,
    checkpoint: { file: join(tmpdir(), `${table}.checkpoint.json`) },
  });
  expect(report.status).toBe("ok");
  expect((await stored("u1")).ssn!.S).toMatch(/^ENC:/);

  await service.send(new PutItemCommand({ TableName: table, Item: read }));
  expect((await stored("u1")).ssn!.S).toMatch(/^ENC:/);

  await service.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: { S: "u1" } },
      UpdateExpression: "SET ssn = :v",
      ExpressionAttributeValues: { ":v": read.ssn! },
    }),
  );
  expect((await stored("u1")).ssn!.S).toMatch(/^ENC:/);

  const reader = pluginClient("ReadWrite");
  const back = await reader.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: "u1" } } }),
  );
  expect(back.Item!.ssn).toEqual({ S: LEGACY });
});
