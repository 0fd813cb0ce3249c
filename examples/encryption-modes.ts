/**
 * Modes: an ingest service that may only write (WriteOnly, needs only
 * kms:GenerateDataKey) and a reporting service that may only read (ReadOnly,
 * needs only kms:Decrypt). The KMS test server enforces those permissions.
 * Run: npx tsx examples/encryption-modes.ts
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  EncryptionError,
  EncryptionMode,
  fieldEncryption,
  type FieldEncryptionConfig,
} from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Patients");
  await env.createTable(TableName, { partitionKey: "pk" });
  env.kms.grant("ingest-role", ["kms:GenerateDataKey"]);
  env.kms.grant("reports-role", ["kms:Decrypt"]);

  const clientFor = (mode: EncryptionMode, role: string) => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
    const config: FieldEncryptionConfig = {
      keyId: "alias/app-data",
      mode,
      kmsClient: env.kmsClient(role),
      tables: { [TableName]: { partitionKey: "pk", fields: { diagnosis: {} } } },
    };
    client.middlewareStack.use(fieldEncryption(config));
    return client;
  };
  const ingest = clientFor(EncryptionMode.WriteOnly, "ingest-role");
  const reports = clientFor(EncryptionMode.ReadOnly, "reports-role");

  await ingest.send(new PutCommand({ TableName, Item: { pk: "patient#7", diagnosis: "J45.909" } }));

  const seenByIngest = await ingest.send(new GetCommand({ TableName, Key: { pk: "patient#7" } }));
  console.log(
    "WriteOnly reads the stored ciphertext:",
    String(seenByIngest.Item?.diagnosis).slice(0, 40) + "…",
  );

  const seenByReports = await reports.send(new GetCommand({ TableName, Key: { pk: "patient#7" } }));
  console.log("ReadOnly reads the plaintext:         ", seenByReports.Item?.diagnosis);

  try {
    await reports.send(new PutCommand({ TableName, Item: { pk: "patient#8", diagnosis: "R51" } }));
  } catch (error) {
    if (!(error instanceof EncryptionError)) throw error;
    console.log("ReadOnly write refused:               ", error.code);
  }
});
