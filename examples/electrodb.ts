/**
 * ElectroDB: put the plugin on the DocumentClient you give the Entity. Every
 * ElectroDB operation then encrypts `ssn`, `email` and `addresses[].zip` on
 * the way in and decrypts them on the way out, append included. The `byEmail`
 * index is built from the encrypted `email`: its key holds the email's beacon,
 * and a query by email still finds the user.
 * Run: npx tsx examples/electrodb.ts
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  createBeaconKey,
  EncryptionError,
  fieldEncryption,
  KmsKeyProvider,
} from "dynamodb-field-encryption";
import { Entity } from "electrodb";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const table = exampleTable("ElectroUsers");
  await env.createTable(table, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" }],
  });
  // In production: run `npx dynamodb-field-encryption keygen --key-id alias/app-data` once and put its output here.
  const beaconKey = await createBeaconKey(
    new KmsKeyProvider({ client: env.kmsClient() }),
    "alias/app-data",
  );

  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(), // in production: omit it, and the plugin creates a KMS client
      beaconKey,
      tables: {
        [table]: {
          partitionKey: "pk",
          sortKey: "sk",
          fields: {
            ssn: {},
            "addresses[].zip": {},
            email: {
              beacon: {
                length: 16,
                normalize: "lowercase", // ElectroDB lowercases key composites
                // gsi1pk embeds the email as "$app#email_<email>": the plugin stores the beacon there instead.
                composites: [{ attribute: "gsi1pk", pattern: "^\\$app#email_(.+)$" }],
              },
            },
          },
        },
      },
    }),
  );

  const users = new Entity(
    {
      model: { entity: "user", version: "1", service: "app" },
      attributes: {
        id: { type: "string", required: true },
        name: { type: "string" },
        email: { type: "string" },
        ssn: { type: "string" },
        addresses: {
          type: "list",
          items: { type: "map", properties: { zip: { type: "string" }, city: { type: "string" } } },
        },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["id"] }, sk: { field: "sk", composite: [] } },
        byEmail: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["email"] },
          sk: { field: "gsi1sk", composite: [] },
        },
      },
    },
    { client, table }, // the client with the plugin
  );

  await users
    .put({
      id: "1",
      name: "Ada",
      email: "Ada@Example.com",
      ssn: "123-45-6789",
      addresses: [{ zip: "94107", city: "SF" }],
    })
    .go();
  await users.put({ id: "2", name: "Bob", email: "bob@example.com" }).go();
  await users
    .update({ id: "1" })
    .append({ addresses: [{ zip: "10001", city: "NY" }] })
    .go();

  const { data } = await users.get({ id: "1" }).go();
  console.log("read through ElectroDB:", JSON.stringify(data));

  const { Key } = users.get({ id: "1" }).params<{ Key: { pk: string; sk: string } }>();
  const raw = await new DynamoDBClient(env.dynamo).send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: Key.pk }, sk: { S: Key.sk } } }),
  );
  const zips = raw.Item?.addresses?.L?.map((a) => a.M?.zip?.S?.slice(0, 12) + "…");
  console.log("stored ssn:", raw.Item?.ssn?.S?.slice(0, 12) + "…", "zips:", zips?.join(", "));
  console.log("stored gsi1pk:", raw.Item?.gsi1pk?.S);

  const found = await users.query.byEmail({ email: "ada@example.com" }).go();
  console.log("query by email:", found.data.map((u) => u.id).join(", "));

  const refused = await users.query
    .byId({ id: "1" })
    .where(({ ssn }, { eq }) => eq(ssn, "123-45-6789"))
    .go()
    .catch((e: Error) => e.cause); // ElectroDB wraps the client's error in an ElectroError
  console.log("where on ssn refused:", EncryptionError.is(refused) ? refused.code : refused);
});
