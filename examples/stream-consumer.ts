/**
 * A DynamoDB stream consumer that reads the plaintext of encrypted fields:
 * items are written through the plugin, the stream (on DynamoDB Local) holds
 * only ciphertext, and a Lambda-style handler wrapped in
 * withDecryptedRecords() gets the records decrypted.
 * Run: npx tsx examples/stream-consumer.ts
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from "@aws-sdk/client-dynamodb-streams";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  createItemEncryptor,
  type DynamoDBStreamRecord,
  withDecryptedRecords,
} from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

/** Every record on a stream so far (what Lambda's event source mapping does for you). */
async function readStream(streams: DynamoDBStreamsClient, StreamArn: string): Promise<_Record[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
  const records: _Record[] = [];
  for (const { ShardId } of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    while (ShardIterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
      if (!page.Records?.length) break;
      records.push(...page.Records);
      ShardIterator = page.NextShardIterator;
    }
  }
  return records;
}

/** The record as Lambda would deliver it: DynamoDB JSON (binary as base64), with the stream ARN. */
const asLambdaRecord = (record: _Record, eventSourceARN: string): DynamoDBStreamRecord => ({
  ...(JSON.parse(
    JSON.stringify(record, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
    ),
  ) as DynamoDBStreamRecord),
  eventSourceARN,
});

run(async (env) => {
  const TableName = exampleTable("Patients");
  const admin = new DynamoDBClient(env.dynamo);
  const { TableDescription } = await admin.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  const streamArn = TableDescription!.LatestStreamArn!;

  // One encryptor for the writer and the consumer: one engine, one data-key cache.
  const encryptor = createItemEncryptor({
    keyId: "alias/app-data",
    kmsClient: env.kmsClient(),
    tables: { [TableName]: { partitionKey: "pk", fields: { diagnosis: {} } } },
  });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(encryptor.plugin());
  await client.send(new PutCommand({ TableName, Item: { pk: "patient#1", diagnosis: "J45.909" } }));
  await client.send(new PutCommand({ TableName, Item: { pk: "patient#1", diagnosis: "J45.20" } }));
  await client.send(new DeleteCommand({ TableName, Key: { pk: "patient#1" } }));

  const streams = new DynamoDBStreamsClient(env.dynamo);
  const records = await readStream(streams, streamArn);
  const stored = records[0]?.dynamodb?.NewImage?.diagnosis?.S ?? "";
  console.log(`the stream holds: ${stored.slice(0, 12)}…`);

  // Your Lambda function: `export const handler = withDecryptedRecords(...)`.
  const handler = withDecryptedRecords(
    encryptor,
    (event) => {
      for (const r of event.Records) {
        const before = (r.dynamodb?.OldImage?.diagnosis as { S?: string } | undefined)?.S ?? "-";
        const after = (r.dynamodb?.NewImage?.diagnosis as { S?: string } | undefined)?.S ?? "-";
        console.log(`${r.eventName}: ${before} -> ${after}`);
      }
    },
    { reportBatchItemFailures: true },
  );
  const result = await handler({ Records: records.map((r) => asLambdaRecord(r, streamArn)) }, {});
  console.log(`batch item failures: ${result ? result.batchItemFailures.length : 0}`);
  streams.destroy();
  client.destroy();
  admin.destroy();
});
