/**
 * ElectroDB: put the plugin on the DocumentClient you give the Entity. Every
 * ElectroDB operation then encrypts `ssn` and `addresses[].zip` on the way in
 * and decrypts them on the way out, append included.
 * Run: npx tsx examples/electrodb.ts
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption } from "dynamodb-field-encryption";
import { Entity } from "electrodb";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const table = exampleTable("ElectroUsers");
  await env.createTable(table, { partitionKey: "pk", sortKey: "sk" });

  const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  client.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(), // in production: omit it, and the plugin creates a KMS client
      tables: {
        [table]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, "addresses[].zip": {} } },
      },
    }),
  );

  const users = new Entity(
    {
      model: { entity: "user", version: "1", service: "app" },
      attributes: {
        id: { type: "string", required: true },
        name: { type: "string" },
        ssn: { type: "string" },
        addresses: {
          type: "list",
          items: { type: "map", properties: { zip: { type: "string" }, city: { type: "string" } } },
        },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["id"] }, sk: { field: "sk", composite: [] } },
      },
    },
    { client, table }, // the client with the plugin
  );

  await users
    .put({ id: "1", name: "Ada", ssn: "123-45-6789", addresses: [{ zip: "94107", city: "SF" }] })
    .go();
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

  const refused = await users.query
    .byId({ id: "1" })
    .where(({ ssn }, { eq }) => eq(ssn, "123-45-6789"))
    .go()
    .catch((e: Error) => e.cause); // ElectroDB wraps the client's error in an ElectroError
  console.log("where on ssn refused:", EncryptionError.is(refused) ? refused.code : refused);
});
