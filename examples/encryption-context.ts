/**
 * Encryption context: KMS binds each data key to key-value pairs that must
 * match on decrypt and are logged in CloudTrail. Here one client serves every
 * tenant: the context's `tenant` entry comes from each item's `tenantId`
 * attribute, so a value copied into another tenant's item cannot be read.
 * (To give each tenant its own KMS key as well, see multi-tenant.ts.)
 * Run: npx tsx examples/encryption-context.ts
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Invoices");
  await env.createTable(TableName, { partitionKey: "pk" });

  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(),
      context: { tenant: { attribute: "tenantId" } },
      tables: {
        [TableName]: {
          partitionKey: "pk",
          fields: { iban: { context: { purpose: "payouts" } } },
        },
      },
    }),
  );

  await client.send(
    new PutCommand({
      TableName,
      Item: { pk: "invoice#1", tenantId: "acme", iban: "DE89370400440532013000" },
    }),
  );
  console.log(
    "acme reads its value:",
    (await client.send(new GetCommand({ TableName, Key: { pk: "invoice#1" } }))).Item?.iban,
  );

  // Someone with write access to the table copies acme's ciphertext into a globex invoice.
  const plain = new DynamoDBClient(env.dynamo);
  const { Item } = await plain.send(
    new GetItemCommand({ TableName, Key: { pk: { S: "invoice#1" } } }),
  );
  await plain.send(
    new PutItemCommand({
      TableName,
      Item: { pk: { S: "invoice#2" }, tenantId: { S: "globex" }, iban: Item!.iban! },
    }),
  );
  try {
    await client.send(new GetCommand({ TableName, Key: { pk: "invoice#2" } }));
  } catch (error) {
    if (!(error instanceof EncryptionError)) throw error;
    console.log("globex's context does not match:", error.code);
  }
  plain.destroy();
});
