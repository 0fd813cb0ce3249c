import { randomBytes } from "node:crypto";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  type AttributeDefinition,
} from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";

/** The DynamoDB Local endpoint the e2e global setup started. */
export function dynamoEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error(
      "DYNAMODB_ENDPOINT is not set: run this test in the e2e tier (npm run test:e2e)",
    );
  return endpoint;
}

/** A new low-level client for DynamoDB Local, with no plugin. */
export function plainDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

/** A table name no other test file uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** A global secondary index with string keys, projecting all attributes. */
export interface GlobalIndex {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

/** Creates a table with a string partition key and, optionally, a string sort key and global secondary indexes. */
export async function createTable(
  client: DynamoDBClient,
  name: string,
  key: { partitionKey: string; sortKey?: string; indexes?: GlobalIndex[] },
): Promise<string> {
  const KeySchema: KeySchemaElement[] = [{ AttributeName: key.partitionKey, KeyType: "HASH" }];
  const AttributeDefinitions: AttributeDefinition[] = [
    { AttributeName: key.partitionKey, AttributeType: "S" },
  ];
  if (key.sortKey) {
    KeySchema.push({ AttributeName: key.sortKey, KeyType: "RANGE" });
    AttributeDefinitions.push({ AttributeName: key.sortKey, AttributeType: "S" });
  }
  const indexes = key.indexes ?? [];
  for (const index of indexes)
    for (const attribute of [index.partitionKey, index.sortKey])
      if (attribute && !AttributeDefinitions.some((d) => d.AttributeName === attribute))
        AttributeDefinitions.push({ AttributeName: attribute, AttributeType: "S" });
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema,
      AttributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: "HASH" as const },
                ...(index.sortKey
                  ? [{ AttributeName: index.sortKey, KeyType: "RANGE" as const }]
                  : []),
              ],
              Projection: { ProjectionType: "ALL" as const },
            })),
          }
        : {}),
    }),
  );
  return name;
}

export async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }));
}
