/**
 * dynamodb-toolbox 2, single-table design, on DynamoDB Local: an entity
 * whose `byEmail` index key is linked to the encrypted `email`. The plugin
 * stores the email's beacon where the link put the (lowercased) email,
 * rewrites the lookup, and removes the items that share the 2-bit beacon, so
 * results are exact while raw scans hold no email.
 */
import { type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteItemCommand,
  Entity,
  GetItemCommand,
  item,
  PutItemCommand,
  QueryCommand,
  string,
  Table,
  UpdateItemCommand,
} from "dynamodb-toolbox";
import { createBeaconKey, EncryptionError, KmsKeyProvider } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

const tableName = uniqueTableName("orm-toolbox-composites");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let app: PluginClients;

const EMAILS = Array.from({ length: 12 }, (_, i) => `Person.${i}@Example.com`);
const NEW_EMAIL = "Moved.Away@Example.org";
const emailKey = (email: string) => `USER#EMAIL#${email.toLowerCase()}`;

function model(documentClient: PluginClients["doc"]) {
  const table = new Table({
    name: tableName,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    indexes: {
      byEmail: { type: "global", partitionKey: { name: "gsi1pk", type: "string" } },
    },
    documentClient,
  });
  const User = new Entity({
    name: "User",
    table,
    timestamps: false,
    schema: item({
      pk: string().key(),
      sk: string().key(),
      email: string(),
      name: string().optional(),
    }).and((_previous) => ({
      gsi1pk: string().link<typeof _previous>(({ email }) => emailKey(email)),
    })),
  });
  return { table, User };
}

let table: ReturnType<typeof model>["table"];
let User: ReturnType<typeof model>["User"];

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  await createTable(plain, tableName, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "byEmail", partitionKey: "gsi1pk" }],
  });
  const kmsClient = kms.client({ accessKeyId: "app" });
  const beaconKey = await createBeaconKey(
    new KmsKeyProvider({ client: kmsClient }),
    "alias/app-data",
  );
  kmsClient.destroy();
  app = pluginClients(kms, {
    keyId: "alias/app-data",
    beaconKey,
    tables: {
      [tableName]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: {
          email: {
            beacon: {
              length: 2,
              normalize: "lowercase",
              composites: [{ attribute: "gsi1pk", pattern: "^USER#EMAIL#(.+)$" }],
            },
          },
        },
      },
    },
  });
  ({ table, User } = model(app.doc));
  for (const [i, email] of EMAILS.entries())
    await User.build(PutItemCommand)
      .item({ pk: `user#${i}`, sk: "profile", email, name: `N${i}` })
      .send();
});

afterAll(async () => {
  app.destroy();
  await deleteTable(plain, tableName);
  plain.destroy();
  await kms.stop();
});

async function scanAll() {
  const { Items = [] } = await plain.send(new ScanCommand({ TableName: tableName }));
  return Items;
}

const byEmail = async (email: string) => {
  const { Items = [] } = await table
    .build(QueryCommand)
    .entities(User)
    .query({ index: "byEmail", partition: emailKey(email) })
    .send();
  return Items;
};

describe("dynamodb-toolbox 2: an index linked to an encrypted email (DynamoDB Local)", () => {
  it("put stores the beacon where the link embedded the email; raw scans hold no email", async () => {
    const items = await scanAll();
    for (const stored of items) {
      expect(stored.email!.S).toMatch(/^ENC:/);
      expect(stored.gsi1pk!.S).toBe(`USER#EMAIL#${stored.email__beacon!.S}`);
    }
    expect(new Set(items.map((i) => i.gsi1pk!.S)).size).toBeLessThan(items.length);
    for (const stored of items) {
      const text = JSON.stringify(stored).toLowerCase();
      for (const email of [...EMAILS, NEW_EMAIL]) expect(text).not.toContain(email.toLowerCase());
    }
  });

  it("query by email returns exactly the user with that email; the toolbox returns the linked key as stored, with the beacon", async () => {
    for (const [i, email] of EMAILS.entries()) {
      const items = await byEmail(email.toUpperCase());
      expect(items.map((u) => ({ pk: u.pk, email: u.email }))).toEqual([
        { pk: `user#${i}`, email },
      ]);
      expect(items[0]!.gsi1pk).toMatch(/^USER#EMAIL#[0-3]$/);
    }
    expect(await byEmail("nobody@example.com")).toEqual([]);
  });

  it("an update of the email with its linked key moves the lookup", async () => {
    await User.build(UpdateItemCommand)
      .item({ pk: "user#2", sk: "profile", email: NEW_EMAIL, gsi1pk: emailKey(NEW_EMAIL) })
      .send();
    expect(await byEmail(EMAILS[2]!)).toEqual([]);
    expect((await byEmail(NEW_EMAIL)).map((u) => u.pk)).toEqual(["user#2"]);
    expect(JSON.stringify(await scanAll()).toLowerCase()).not.toContain(NEW_EMAIL.toLowerCase());
  });

  it("an update of the linked key without the email is refused, with nothing sent", async () => {
    const error = await User.build(UpdateItemCommand)
      .item({ pk: "user#3", sk: "profile", gsi1pk: emailKey("forged@example.com") })
      .send()
      .catch((e: unknown) => e);
    expect(EncryptionError.is(error, "beacon.compositeMismatch")).toBe(true);
    expect((await byEmail(EMAILS[3]!)).map((u) => u.pk)).toEqual(["user#3"]);
  });

  it("get reads the item back decrypted; delete removes it from its lookup", async () => {
    const { Item } = await User.build(GetItemCommand).key({ pk: "user#4", sk: "profile" }).send();
    expect(Item?.email).toBe(EMAILS[4]);
    await User.build(DeleteItemCommand).key({ pk: "user#4", sk: "profile" }).send();
    expect(await byEmail(EMAILS[4]!)).toEqual([]);
  });
});
