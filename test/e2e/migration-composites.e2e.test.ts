/**
 * Existing items whose GSI key embeds a beaconed field in plaintext (written
 * before the field was encrypted and its composite configured): `verify`
 * counts the stale composites, and `migrate` replaces the embedded text by the
 * beacon in the same conditional UpdateItem that encrypts the value, leaving
 * other entities' keys alone. DynamoDB Local, the project's KMS test server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  type BeaconKeyOptions,
  createBeaconKey,
  type FieldEncryptionConfig,
  KmsKeyProvider,
  migrateTable,
  verifyTable,
} from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool } from "../support/e2e-setup";
import { runCliProcess } from "../support/migration-cli";

jest.setTimeout(120_000);

const table = uniqueTableName("migration-composites");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let kmsClient: ReturnType<KmsTestServer["client"]>;
let beaconKey: BeaconKeyOptions;
let dir: string;
const pool = pluginClientPool();

function config(): Omit<FieldEncryptionConfig, "kmsClient"> {
  return {
    keyId: "alias/app-data",
    beaconKey,
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: {
          email: {
            beacon: {
              length: 2,
              normalize: "lowercase",
              composites: [{ attribute: "gsi1pk", pattern: "^\\$app#email_(.+)$" }],
            },
          },
        },
      },
    },
  };
}

const EMAILS = ["Jane.Doe@Example.com", "bob@example.com", "carol@example.com"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfe-migrate-composites-"));
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  kmsClient = kms.client({ accessKeyId: "tool" });
  beaconKey = await createBeaconKey(new KmsKeyProvider({ client: kmsClient }), "alias/app-data");
  await createTable(plain, table, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "gsi1", partitionKey: "gsi1pk" }],
  });
  // What a table holds before encryption: ElectroDB's keys with the lowercased email in them.
  for (const [i, email] of EMAILS.entries())
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `$app#id_${i}` },
          sk: { S: "$user_1" },
          email: { S: email },
          gsi1pk: { S: `$app#email_${email.toLowerCase()}` },
        },
      }),
    );
  await plain.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: { S: "$app#team_1" }, sk: { S: "$team_1" }, gsi1pk: { S: "$app#team_blue" } },
    }),
  ); // A key that embeds an email the item does not hold: the tools cannot compute its beacon.
  await plain.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        pk: { S: "$app#id_9" },
        sk: { S: "$user_1" },
        gsi1pk: { S: "$app#email_lost@example.com" },
      },
    }),
  );
});

afterAll(async () => {
  pool.destroyAll();
  await deleteTable(plain, table);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

const toolConfig = () => ({ ...config(), kmsClient });
const scanText = async () =>
  JSON.stringify((await plain.send(new ScanCommand({ TableName: table }))).Items).toLowerCase();

describe("composite keys holding plaintext from before", () => {
  it("verify counts the stale composites; migrate encrypts the email and puts its beacon in the key; lookups find them", async () => {
    const before = await verifyTable({ config: toolConfig(), table, client: plain });
    expect(before.status).toBe("notCurrent");
    expect(before.fields.email!.beacons!.composites).toEqual({
      gsi1pk: { current: 0, stale: 3, uncheckable: 1, written: 0 },
    });

    // The CLI's summary names the composite, never a value.
    const file = join(dir, "app.config.ts");
    writeFileSync(
      file,
      `import { KMSClient } from ${JSON.stringify(require.resolve("@aws-sdk/client-kms"))};\n` +
        `const kmsClient = new KMSClient({ endpoint: ${JSON.stringify(kms.endpoint)}, region: "us-east-1", credentials: { accessKeyId: "cli", secretAccessKey: "cli" } });\n` +
        `export default { ...${JSON.stringify(config())}, kmsClient };\n`,
    );
    const human = await runCliProcess(["verify", "--table", table, "--config", file]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain("composite gsi1pk: 0 current, 3 stale, 1 not checkable");
    expect(human.stdout.toLowerCase()).not.toMatch(/jane|bob@|carol/);

    const migrated = await migrateTable({
      config: toolConfig(),
      table,
      client: plain,
      checkpoint: { file: join(dir, "run.checkpoint.json") },
    });
    // The key the tools could not check is left, and keeps the run from being ok.
    expect(migrated.status).not.toBe("ok");
    expect(migrated.fields.email!.beacons!.composites!.gsi1pk!.written).toBe(3);
    const text = await scanText();
    for (const email of EMAILS) expect(text).not.toContain(email.toLowerCase());
    expect(text).toContain("$app#team_blue");
    expect(text).toContain("lost@example.com");

    const after = await verifyTable({ config: toolConfig(), table, client: plain });
    expect(after.status).not.toBe("ok");
    expect(after.fields.email!.beacons!.composites).toEqual({
      gsi1pk: { current: 3, stale: 0, uncheckable: 1, written: 0 },
    });

    const app = pool.open(kms, config());
    for (const [i, email] of EMAILS.entries()) {
      const { Items } = await app.doc.send(
        new QueryCommand({
          TableName: table,
          IndexName: "gsi1",
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": "gsi1pk" },
          ExpressionAttributeValues: { ":pk": `$app#email_${email.toLowerCase()}` },
        }),
      );
      expect(Items!.map((item) => item.pk)).toEqual([`$app#id_${i}`]);
    }
  });
});
