import {
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  type StreamViewType,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createItemEncryptor, type FieldEncryptionConfig, withDecryptedRecords } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import {
  asLambdaRecord,
  createStreamTable,
  readStream,
  streamsClient,
} from "../support/dynamodb-streams";
import { pluginClientPool } from "../support/e2e-setup";

const VIEWS: StreamViewType[] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

/** Real DynamoDB Streams on DynamoDB Local: written through the plugin, read with DynamoDBStreamsClient, decrypted with the item API. */
describe("DynamoDB Streams records written through the plugin", () => {
  let kms: KmsTestServer;
  let plain: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let kmsClient: ReturnType<KmsTestServer["client"]>;
  const pool = pluginClientPool();
  const tables = Object.fromEntries(VIEWS.map((v) => [v, uniqueTableName(`stream-${v}`)]));
  const arns: Record<string, string> = {};
  let config: Omit<FieldEncryptionConfig, "kmsClient">;

  beforeAll(async () => {
    kms = await KmsTestServer.start();
    kms.createKey({ alias: "alias/app-data" });
    plain = plainDynamoClient();
    streams = streamsClient();
    kmsClient = kms.client();
    const table = { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, "card.number": {} } };
    config = {
      keyId: "alias/app-data",
      tables: Object.fromEntries(Object.values(tables).map((t) => [t, table])),
    };
    for (const view of VIEWS) arns[view] = await createStreamTable(plain, tables[view]!, view);
    const { doc } = pool.open(kms, config);
    for (const view of VIEWS) {
      const TableName = tables[view]!;
      const Key = { pk: "user#1", sk: "profile" };
      await doc.send(
        new PutCommand({
          TableName,
          Item: { ...Key, ssn: "111-11-1111", card: { number: "4111", expiry: "12/30" } },
        }),
      );
      await doc.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: "SET ssn = :s",
          ExpressionAttributeValues: { ":s": "222-22-2222" },
        }),
      );
      await doc.send(new DeleteCommand({ TableName, Key }));
    }
  }, 60_000);

  afterAll(async () => {
    pool.destroyAll();
    for (const t of Object.values(tables))
      await plain.send(new DeleteTableCommand({ TableName: t }));
    plain.destroy();
    streams.destroy();
    kmsClient.destroy();
    await kms.stop();
  });

  const encryptor = () => createItemEncryptor({ ...config, kmsClient });

  it.each(VIEWS)(
    "%s: INSERT, MODIFY and REMOVE records decrypt to what was written",
    async (view) => {
      const raw = await readStream(streams, arns[view]!);
      expect(raw.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
      // What DynamoDB recorded is ciphertext wherever an image holds a configured field.
      expect(JSON.stringify(raw)).not.toMatch(/111-11-1111|222-22-2222|"4111"/);

      const event = { Records: raw.map((r) => asLambdaRecord(r, arns[view]!)) };
      const { Records } = await encryptor().decryptStreamEvent(event);
      const images = Records.map((r) => ({
        event: r.eventName,
        new: (r.dynamodb?.NewImage?.ssn as { S?: string } | undefined)?.S,
        old: (r.dynamodb?.OldImage?.ssn as { S?: string } | undefined)?.S,
        card: (r.dynamodb?.NewImage?.card as { M?: { number?: { S?: string } } } | undefined)?.M
          ?.number?.S,
      }));
      const hasNew = view === "NEW_IMAGE" || view === "NEW_AND_OLD_IMAGES";
      const hasOld = view === "OLD_IMAGE" || view === "NEW_AND_OLD_IMAGES";
      expect(images).toEqual([
        {
          event: "INSERT",
          new: hasNew ? "111-11-1111" : undefined,
          old: undefined,
          card: hasNew ? "4111" : undefined,
        },
        {
          event: "MODIFY",
          new: hasNew ? "222-22-2222" : undefined,
          old: hasOld ? "111-11-1111" : undefined,
          card: hasNew ? "4111" : undefined,
        },
        {
          event: "REMOVE",
          new: undefined,
          old: hasOld ? "222-22-2222" : undefined,
          card: undefined,
        },
      ]);
      for (const r of Records)
        expect(r.dynamodb?.Keys).toEqual({ pk: { S: "user#1" }, sk: { S: "profile" } });
    },
  );

  it("GetRecords records decrypt as they come (Uint8Array binaries) with shape attributeValue and the table named", async () => {
    const raw = await readStream(streams, arns.NEW_IMAGE!);
    const out = await encryptor().decryptStreamRecord(raw[0]!, {
      shape: "attributeValue",
      table: tables.NEW_IMAGE!,
    });
    expect(out.dynamodb?.NewImage?.ssn).toEqual({ S: "111-11-1111" });
  });

  it("a tampered value gives a partial batch failure with that record's sequence number", async () => {
    const TableName = uniqueTableName("stream-tampered");
    const arn = await createStreamTable(plain, TableName, "NEW_IMAGE");
    const tamperedConfig = {
      keyId: "alias/app-data",
      tables: { [TableName]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } } },
    };
    try {
      const { doc } = pool.open(kms, tamperedConfig);
      for (const sk of ["a", "b", "c"])
        await doc.send(new PutCommand({ TableName, Item: { pk: "p", sk, ssn: `ssn-${sk}` } }));
      // Someone with write access to the table but not to the key copies a's ciphertext into c.
      const first = (await readStream(streams, arn))[0]!.dynamodb!.NewImage!;
      await plain.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: "p" }, sk: { S: "c" }, ssn: first.ssn! },
        }),
      );
      await doc.send(new PutCommand({ TableName, Item: { pk: "p", sk: "d", ssn: "ssn-d" } }));

      const raw = await readStream(streams, arn);
      expect(raw).toHaveLength(5);
      const event = { Records: raw.map((r) => asLambdaRecord(r, arn)) };
      const seen: string[] = [];
      const handler = withDecryptedRecords(
        { ...tamperedConfig, kmsClient },
        (e) => {
          for (const r of e.Records) seen.push((r.dynamodb!.NewImage!.ssn as { S: string }).S);
        },
        { reportBatchItemFailures: true },
      );
      expect(await handler(event, {})).toEqual({
        batchItemFailures: [{ itemIdentifier: raw[3]!.dynamodb!.SequenceNumber }],
      });
      expect(seen).toEqual(["ssn-a", "ssn-b", "ssn-c"]);
      // Without partial batch failures, the whole invocation fails.
      const strict = withDecryptedRecords({ ...tamperedConfig, kmsClient }, () => {});
      await expect(strict(event, {})).rejects.toMatchObject({ code: "ciphertext.tampered" });
    } finally {
      await plain.send(new DeleteTableCommand({ TableName }));
    }
  });
});
