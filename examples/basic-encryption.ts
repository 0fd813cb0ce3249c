/**
 * Basic usage: one line on an existing client encrypts `ssn` and `card.number`
 * on every write and decrypts them on every read.
 * Run: npx tsx examples/basic-encryption.ts
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Users");
  await env.createTable(TableName, { partitionKey: "pk" });

  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(), // in production: omit it (or pass `region`), and the plugin creates a KMS client
      tables: { [TableName]: { partitionKey: "pk", fields: { ssn: {}, "card.number": {} } } },
    }),
  );

  await client.send(
    new PutCommand({
      TableName,
      Item: {
        pk: "user#1",
        name: "Ada",
        ssn: "123-45-6789",
        card: { number: "4111111111111111", expiry: "12/30" },
      },
    }),
  );

  const { Item } = await client.send(new GetCommand({ TableName, Key: { pk: "user#1" } }));
  console.log("read through the plugin:", Item);

  const raw = await new DynamoDBClient(env.dynamo).send(
    new GetItemCommand({ TableName, Key: { pk: { S: "user#1" } } }),
  );
  console.log("stored in DynamoDB:     ", { ssn: raw.Item?.ssn?.S?.slice(0, 40) + "…" });
});
