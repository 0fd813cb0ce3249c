/**
 * `npm run demo`: starts DynamoDB Local and the KMS test server, writes an
 * item with an SSN, a card number and a nested address through the plugin,
 * and shows what is stored, what the plugin reads back, and what WriteOnly
 * and ReadOnly clients see and are refused, and why it made the KMS calls it
 * made. Then stops both servers. Headings are bold only on a terminal that
 * has colours (`NO_COLOR` or output to a file or pipe turns them off).
 */
import { styleText } from "node:util";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  EncryptionError,
  fieldEncryption,
  type EncryptionMode,
  type TableOptions,
} from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

/** True on a terminal with colours; false for a pipe or file, and under NO_COLOR (Node checks it). */
const colour = process.stdout.isTTY && process.stdout.hasColors();
const heading = (text: string) => console.log(`\n${colour ? styleText("bold", text) : text}`);
const show = (value: unknown) => console.log(JSON.stringify(value, null, 2));

run(async (env) => {
  console.log(
    `DynamoDB Local at ${env.dynamo.endpoint as string}; KMS test server at ${env.kms.endpoint}`,
  );
  const TableName = exampleTable("Users");
  await env.createTable(TableName, { partitionKey: "pk", sortKey: "sk" });
  env.kms.grant("ingest-service", ["kms:GenerateDataKey"]);
  env.kms.grant("reporting-service", ["kms:Decrypt"]);

  const table: TableOptions = {
    partitionKey: "pk",
    sortKey: "sk",
    fields: {
      ssn: {},
      "card.number": { context: { purpose: "payments" } },
      "addresses[].zip": { keyId: "alias/pii" },
    },
  };
  const clientFor = (mode: EncryptionMode, role: string) => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
    client.middlewareStack.use(
      fieldEncryption({
        keyId: "alias/app-data",
        mode,
        kmsClient: env.kmsClient(role),
        tables: { [TableName]: table },
      }),
    );
    return client;
  };
  const app = clientFor("ReadWrite", "app");
  const item = {
    pk: "user#42",
    sk: "profile",
    name: "Ada Lovelace",
    ssn: "123-45-6789",
    card: { number: "4111111111111111", expiry: "12/30" },
    addresses: [{ street: "12 St James's Square", zip: "SW1Y 4JH" }],
  };
  heading("The item the application writes (PutCommand through the plugin):");
  show(item);
  await app.send(new PutCommand({ TableName, Item: item }));

  heading("1. What DynamoDB stores (read with a plain client, no plugin):");
  const stored = await new DynamoDBClient(env.dynamo).send(
    new GetItemCommand({ TableName, Key: { pk: { S: "user#42" }, sk: { S: "profile" } } }),
  );
  show(stored.Item);

  heading("2. What the application reads back (GetCommand through the plugin):");
  show((await app.send(new GetCommand({ TableName, Key: { pk: "user#42", sk: "profile" } }))).Item);

  heading("3. Modes, with KMS permissions enforced by the KMS test server:");
  const ingest = clientFor("WriteOnly", "ingest-service");
  const seen = (
    await ingest.send(new GetCommand({ TableName, Key: { pk: "user#42", sk: "profile" } }))
  ).Item!;
  console.log(
    `WriteOnly (only kms:GenerateDataKey) reads ssn as stored: ${String(seen.ssn).slice(0, 48)}…`,
  );
  await ingest.send(new PutCommand({ TableName, Item: { ...item, sk: "profile-2" } }));
  console.log("WriteOnly writes a new item: encrypted and stored.");

  const reporting = clientFor("ReadOnly", "reporting-service");
  const report = (
    await reporting.send(new GetCommand({ TableName, Key: { pk: "user#42", sk: "profile-2" } }))
  ).Item!;
  console.log(`ReadOnly (only kms:Decrypt) reads ssn: ${String(report.ssn)}`);
  try {
    await reporting.send(new PutCommand({ TableName, Item: { ...item, sk: "profile-3" } }));
  } catch (error) {
    if (!(error instanceof EncryptionError)) throw error;
    console.log(
      `ReadOnly write refused: EncryptionError ${error.code} (field "${error.field}"), nothing sent.`,
    );
  }

  heading("KMS calls made by this demo:");
  const calls = () =>
    `GenerateDataKey: ${env.kms.calls("GenerateDataKey")}, Decrypt: ${env.kms.calls("Decrypt")}`;
  console.log(calls());
  console.log(
    [
      "Why not README's 1 and 1? A data key serves one (KMS key, encryption context) pair, and each",
      "client caches its own. This item's three fields use three pairs: ssn (alias/app-data),",
      "card.number (alias/app-data, purpose=payments) and addresses[].zip (alias/pii). So:",
      "- GenerateDataKey: 3 pairs x 2 clients that wrote (ReadWrite app, WriteOnly ingest) = 6;",
      "- Decrypt: 3 wrapped data keys x 2 clients that decrypted (ReadWrite app, ReadOnly reporting) = 6;",
      "  the WriteOnly client reads the ciphertext without calling KMS.",
      "The count grows with clients and (key, context) pairs, not with items:",
    ].join("\n"),
  );
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      app.send(new PutCommand({ TableName, Item: { ...item, sk: `more-${i}` } })),
    ),
  );
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      app.send(new GetCommand({ TableName, Key: { pk: "user#42", sk: `more-${i}` } })),
    ),
  );
  console.log(`after the app writes and reads 10 more such items: ${calls()}`);
});
