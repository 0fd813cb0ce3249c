import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import {
  type FieldEncryptionConfig,
  listKeys,
  LocalKeyProvider,
  migrateTable,
  verifyTable,
} from "../../src";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "../support/dynamodb";

jest.setTimeout(60_000);

const table = uniqueTableName("tool-log");
const SECRETS = ["123-45-6789", "987-65-4321"];
const config: FieldEncryptionConfig = {
  keyId: "local/app",
  keyProvider: new LocalKeyProvider({ keys: { "local/app": randomBytes(32) } }),
  tables: { [table]: { partitionKey: "pk", fields: { ssn: {} } } },
};
const logged: unknown[] = [];
/** The caller's client, with an SDK logger that keeps everything it is given. */
const client = new DynamoDBClient({
  endpoint: dynamoEndpoint(),
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  logger: {
    debug: (...a: unknown[]) => logged.push(...a),
    info: (...a: unknown[]) => logged.push(...a),
    warn: (...a: unknown[]) => logged.push(...a),
    error: (...a: unknown[]) => logged.push(...a),
  },
});
const plain = plainDynamoClient();

beforeAll(async () => {
  await createTable(plain, table, { partitionKey: "pk" });
  for (const [i, ssn] of SECRETS.entries())
    await plain.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: `u${i}` }, ssn: { S: ssn } } }),
    );
});
afterAll(async () => {
  await deleteTable(plain, table);
});

it("verify, migrate and keys through a caller's client with an SDK logger log no stored value of an encrypted field", async () => {
  const checkpoint = () => ({ file: join(tmpdir(), `${table}-${Math.random()}.checkpoint.json`) });
  await verifyTable({ config, table, client, checkpoint: checkpoint() });
  const report = await migrateTable({ config, table, client, checkpoint: checkpoint() });
  expect(report.items.rewritten).toBe(2);
  await listKeys({ config, table, client });
  const text = inspect(logged, { depth: null });
  expect(text).toContain("UpdateItemCommand"); // the conditional writes were logged
  expect(text).toContain("ScanCommand");
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/ENC:/);
});
