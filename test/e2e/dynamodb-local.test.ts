import {
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";

let client: DynamoDBClient;
const table = uniqueTableName("local-smoke");

beforeAll(async () => {
  client = plainDynamoClient();
  await createTable(client, table, { partitionKey: "pk", sortKey: "sk" });
});
afterAll(async () => {
  await deleteTable(client, table);
  client.destroy();
});

describe("DynamoDB Local", () => {
  it("is reachable on a loopback endpoint", async () => {
    expect(process.env.DYNAMODB_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const out = await client.send(new ListTablesCommand({}));
    expect(out.TableNames).toContain(table);
  });

  it("stores and returns an item", async () => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: "a" }, sk: { S: "1" }, n: { N: "1.50" } },
      }),
    );
    const out = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: "a" }, sk: { S: "1" } } }),
    );
    expect(out.Item).toEqual({ pk: { S: "a" }, sk: { S: "1" }, n: { N: "1.5" } });
  });
});
