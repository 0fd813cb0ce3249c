/**
 * dynamodb-toolbox: put the plugin on the DocumentClient you give the Table.
 * Every toolbox command then encrypts `ssn`, `email` and `addresses[].zip` on
 * the way in and decrypts them on the way out, $append and $prepend included.
 * The `byEmail` index key is linked to the encrypted `email`: it holds the
 * email's beacon, and a query by email still finds the user.
 * Run: npx tsx examples/dynamodb-toolbox.ts
 */
import { DynamoDBClient, GetItemCommand as RawGetItem } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  createBeaconKey,
  EncryptionError,
  fieldEncryption,
  KmsKeyProvider,
} from "dynamodb-field-encryption";
import {
  $append,
  $prepend,
  Entity,
  GetItemCommand,
  item,
  list,
  map,
  PutItemCommand,
  QueryCommand,
  string,
  Table,
  UpdateItemCommand,
} from "dynamodb-toolbox";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const name = exampleTable("ToolboxUsers");
  await env.createTable(name, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "byEmail", partitionKey: "gsi1pk" }],
  });
  // In production: run `npx dynamodb-field-encryption keygen --key-id alias/app-data` once and put its output here.
  const beaconKey = await createBeaconKey(
    new KmsKeyProvider({ client: env.kmsClient() }),
    "alias/app-data",
  );

  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  documentClient.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(), // in production: omit it, and the plugin creates a KMS client
      beaconKey,
      tables: {
        [name]: {
          partitionKey: "pk",
          sortKey: "sk",
          fields: {
            ssn: {},
            "addresses[].zip": {},
            email: {
              beacon: {
                length: 16,
                normalize: "lowercase", // the link below lowercases the email
                // gsi1pk embeds the email as "USER#EMAIL#<email>": the plugin stores the beacon there instead.
                composites: [{ attribute: "gsi1pk", pattern: "^USER#EMAIL#(.+)$" }],
              },
            },
          },
        },
      },
    }),
  );

  const table = new Table({
    name,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    indexes: { byEmail: { type: "global", partitionKey: { name: "gsi1pk", type: "string" } } },
    documentClient, // the client with the plugin
  });
  const User = new Entity({
    name: "User",
    table,
    schema: item({
      pk: string().key(),
      sk: string().key(),
      name: string(),
      email: string(),
      ssn: string(),
      addresses: list(map({ zip: string(), city: string() })),
    }).and((_schema) => ({
      // Read back, it holds the beacon, not the email: hidden, so the toolbox leaves it out.
      gsi1pk: string()
        .hidden()
        .link<typeof _schema>(({ email }) => `USER#EMAIL#${email.toLowerCase()}`),
    })),
  });

  const key = { pk: "user#1", sk: "profile" };
  await User.build(PutItemCommand)
    .item({
      ...key,
      name: "Ada",
      email: "Ada@Example.com",
      ssn: "123-45-6789",
      addresses: [{ zip: "94107", city: "SF" }],
    })
    .send();
  await User.build(UpdateItemCommand)
    .item({ ...key, addresses: $append([{ zip: "10001", city: "NY" }]) })
    .send();
  await User.build(UpdateItemCommand)
    .item({ ...key, addresses: $prepend([{ zip: "30301", city: "ATL" }]) })
    .send();

  const { Item } = await User.build(GetItemCommand).key(key).send();
  console.log(
    "read through dynamodb-toolbox:",
    JSON.stringify({ ssn: Item?.ssn, addresses: Item?.addresses }),
  );

  const raw = await new DynamoDBClient(env.dynamo).send(
    new RawGetItem({ TableName: name, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
  );
  const zips = raw.Item?.addresses?.L?.map((a) => a.M?.zip?.S?.slice(0, 12) + "…");
  console.log("stored ssn:", raw.Item?.ssn?.S?.slice(0, 12) + "…", "zips:", zips?.join(", "));
  console.log("stored gsi1pk:", raw.Item?.gsi1pk?.S);

  const found = await table
    .build(QueryCommand)
    .entities(User)
    .query({ index: "byEmail", partition: "USER#EMAIL#ada@example.com" })
    .send();
  console.log(
    "query by email:",
    JSON.stringify(found.Items?.map((u) => ({ pk: u.pk, email: u.email, keys: "gsi1pk" in u }))),
  );

  const refused = await table
    .build(QueryCommand)
    .entities(User)
    .query({ partition: key.pk })
    .options({ filters: { User: { attr: "ssn", eq: "123-45-6789" } } })
    .send()
    .catch((e: unknown) => e);
  console.log("filter on ssn refused:", EncryptionError.is(refused) ? refused.code : refused);
});
