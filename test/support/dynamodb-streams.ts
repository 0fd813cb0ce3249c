import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from "@aws-sdk/client-dynamodb-streams";
import {
  CreateTableCommand,
  type DynamoDBClient,
  type StreamViewType,
} from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import type { DynamoDBStreamRecord } from "../../src";
import { dynamoEndpoint } from "./dynamodb";

/** A DynamoDB Streams client for the tier's DynamoDB Local. */
export function streamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    endpoint: dynamoEndpoint(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

/** Creates a table (pk, sk) with a stream of the given view type; returns the stream ARN. */
export async function createStreamTable(
  client: DynamoDBClient,
  name: string,
  view: StreamViewType,
): Promise<string> {
  const out = await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: view },
    }),
  );
  return out.TableDescription!.LatestStreamArn!;
}

/** Every record on the stream so far, shard by shard, from the start. */
export async function readStream(streams: DynamoDBStreamsClient, arn: string): Promise<_Record[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  const records: _Record[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shard.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    // An open shard always returns an iterator; stop when a page comes back empty.
    while (ShardIterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
      records.push(...(page.Records ?? []));
      if (!page.Records?.length) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return records;
}

/** A record as Lambda delivers it: DynamoDB JSON (binary as base64 text) and the stream ARN. */
export function asLambdaRecord(record: _Record, streamArn: string): DynamoDBStreamRecord {
  const json = JSON.stringify(record, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
  );
  return { ...(JSON.parse(json) as DynamoDBStreamRecord), eventSourceARN: streamArn };
}
