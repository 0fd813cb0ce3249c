/**
 * The low-level DynamoDBClient works the same way: the plugin sees DynamoDB
 * JSON for both clients. Every type keeps its type (here a number set and a map).
 * Run: npx tsx examples/low-level-client.ts
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Accounts");
  await env.createTable(TableName, { partitionKey: "pk", sortKey: "sk" });

  const client = new DynamoDBClient(env.dynamo);
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(),
      tables: {
        [TableName]: {
          partitionKey: "pk",
          sortKey: "sk",
          fields: { pins: {}, "profile.taxId": {} },
        },
      },
    }),
  );

  const Item = {
    pk: { S: "acct#1" },
    sk: { S: "v1" },
    pins: { NS: ["1234", "9876"] },
    profile: { M: { taxId: { M: { country: { S: "FR" }, id: { S: "FR123" } } } } },
  };
  await client.send(new PutItemCommand({ TableName, Item }));
  const out = await client.send(
    new GetItemCommand({ TableName, Key: { pk: { S: "acct#1" }, sk: { S: "v1" } } }),
  );
  console.log(JSON.stringify(out.Item));
});
