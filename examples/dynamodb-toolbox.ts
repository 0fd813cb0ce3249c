/**
 * dynamodb-toolbox: put the plugin on the DocumentClient you give the Table.
 * Every toolbox command then encrypts `ssn` and `addresses[].zip` on the way
 * in and decrypts them on the way out, $append and $prepend included.
 * Run: npx tsx examples/dynamodb-toolbox.ts
 */
import { DynamoDBClient, GetItemCommand as RawGetItem } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption } from "dynamodb-field-encryption";
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
  await env.createTable(name, { partitionKey: "pk", sortKey: "sk" });

  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
  documentClient.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/app-data",
      kmsClient: env.kmsClient(), // in production: omit it, and the plugin creates a KMS client
      tables: {
        [name]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, "addresses[].zip": {} } },
      },
    }),
  );

  const table = new Table({
    name,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    documentClient, // the client with the plugin
  });
  const User = new Entity({
    name: "User",
    table,
    schema: item({
      pk: string().key(),
      sk: string().key(),
      name: string(),
      ssn: string(),
      addresses: list(map({ zip: string(), city: string() })),
    }),
  });

  const key = { pk: "user#1", sk: "profile" };
  await User.build(PutItemCommand)
    .item({ ...key, name: "Ada", ssn: "123-45-6789", addresses: [{ zip: "94107", city: "SF" }] })
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

  const refused = await table
    .build(QueryCommand)
    .entities(User)
    .query({ partition: key.pk })
    .options({ filters: { User: { attr: "ssn", eq: "123-45-6789" } } })
    .send()
    .catch((e: unknown) => e);
  console.log("filter on ssn refused:", EncryptionError.is(refused) ? refused.code : refused);
});
