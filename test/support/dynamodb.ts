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

/** Creates a table with a string partition key and, optionally, a string sort key. */
export async function createTable(
  client: DynamoDBClient,
  name: string,
  key: { partitionKey: string; sortKey?: string },
): Promise<string> {
  const KeySchema: KeySchemaElement[] = [{ AttributeName: key.partitionKey, KeyType: "HASH" }];
  const AttributeDefinitions: AttributeDefinition[] = [
    { AttributeName: key.partitionKey, AttributeType: "S" },
  ];
  if (key.sortKey) {
    KeySchema.push({ AttributeName: key.sortKey, KeyType: "RANGE" });
    AttributeDefinitions.push({ AttributeName: key.sortKey, AttributeType: "S" });
  }
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema,
      AttributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return name;
}

export async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }));
}
