/**
 * Encryption context: KMS binds each data key to key-value pairs that must
 * match on decrypt and are logged in CloudTrail. Here each tenant's table has
 * its own context; a client configured with another tenant's context cannot
 * read the values.
 * Run: npx tsx examples/encryption-context.ts
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Invoices");
  await env.createTable(TableName, { partitionKey: "pk" });

  const clientFor = (tenant: string) => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
    client.middlewareStack.use(
      fieldEncryption({
        keyId: "alias/app-data",
        kmsClient: env.kmsClient(),
        context: { tenant },
        tables: {
          [TableName]: {
            partitionKey: "pk",
            fields: { iban: { context: { purpose: "payouts" } } },
          },
        },
      }),
    );
    return client;
  };

  const acme = clientFor("acme");
  await acme.send(
    new PutCommand({ TableName, Item: { pk: "invoice#1", iban: "DE89370400440532013000" } }),
  );
  console.log(
    "acme reads its value:",
    (await acme.send(new GetCommand({ TableName, Key: { pk: "invoice#1" } }))).Item?.iban,
  );

  try {
    await clientFor("globex").send(new GetCommand({ TableName, Key: { pk: "invoice#1" } }));
  } catch (error) {
    if (!(error instanceof EncryptionError)) throw error;
    console.log("globex's context does not match:", error.code);
  }
});
