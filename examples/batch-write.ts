/**
 * A batch write of 25 items costs one KMS call: data keys are cached per KMS
 * key and encryption context, and concurrent requests share one KMS call.
 * Run: npx tsx examples/batch-write.ts
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Orders");
  await env.createTable(TableName, { partitionKey: "pk", sortKey: "sk" });

  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(),
      tables: {
        [TableName]: { partitionKey: "pk", sortKey: "sk", fields: { "payment.card": {} } },
      },
    }),
  );

  const items = Array.from({ length: 25 }, (_, i) => ({
    pk: "customer#1",
    sk: `order#${i}`,
    payment: { card: `4111-0000-0000-${String(i).padStart(4, "0")}` },
  }));
  const { UnprocessedItems } = await client.send(
    new BatchWriteCommand({
      RequestItems: { [TableName]: items.map((Item) => ({ PutRequest: { Item } })) },
    }),
  );
  // Unprocessed items come back as you sent them (plaintext): resend them through the same client.
  if (UnprocessedItems && Object.keys(UnprocessedItems).length > 0)
    await client.send(new BatchWriteCommand({ RequestItems: UnprocessedItems }));

  const { Items } = await client.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": "customer#1" },
    }),
  );
  const first = Items?.[0] as { payment: { card: string } } | undefined;
  console.log(`${Items?.length} orders read back; first card: ${first?.payment.card}`);
  console.log(
    `KMS calls: ${env.kms.calls("GenerateDataKey")} GenerateDataKey, ${env.kms.calls("Decrypt")} Decrypt`,
  );
});
