import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  ExecuteStatementCommand as DocExecuteStatementCommand,
  GetCommand,
} from "@aws-sdk/lib-dynamodb";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

const table = uniqueTableName("partiql");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let app: PluginClients;
const S = (v: string) => ({ S: v });

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk", sortKey: "sk" });
  app = pluginClients(kms, {
    keyId: "alias/app-data",
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: {}, "card.number": {}, "addresses[].zip": {} },
      },
    },
  });
});

afterAll(async () => {
  app.destroy();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});

async function stored(pk: string) {
  return (
    await plain.send(new GetItemCommand({ TableName: table, Key: { pk: S(pk), sk: S("s") } }))
  ).Item!;
}

function expectEncrypted(item: Record<string, any>) {
  expect(item.ssn.S).toMatch(/^ENC:/);
  expect(item.card.M.number.S).toMatch(/^ENC:/);
  for (const a of item.addresses.L) expect(a.M.zip.S).toMatch(/^ENC:/);
  expect(JSON.stringify(item)).not.toMatch(/123-45-6789|4111|94107|555-55-5555/);
}

describe("PartiQL on DynamoDB Local", () => {
  it("INSERT stores the encrypted fields encrypted; SELECT and GetItem read them back", async () => {
    await app.client.send(
      new ExecuteStatementCommand({
        // DynamoDB accepts ? only as a whole attribute value, so nested fields travel inside map and list parameters.
        Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': 's', 'ssn': ?, 'card': ?, 'addresses': ?}`,
        Parameters: [
          S("ins"),
          S("123-45-6789"),
          { M: { number: S("4111"), expiry: S("12/30") } },
          { L: [{ M: { zip: S("94107"), city: S("SF") } }] },
        ],
      }),
    );
    expectEncrypted(await stored("ins"));
    const selected = await app.client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM "${table}" WHERE pk = ?`,
        Parameters: [S("ins")],
      }),
    );
    expect(selected.Items).toEqual([
      {
        pk: S("ins"),
        sk: S("s"),
        ssn: S("123-45-6789"),
        card: { M: { number: S("4111"), expiry: S("12/30") } },
        addresses: { L: [{ M: { zip: S("94107"), city: S("SF") } }] },
      },
    ]);
    const item = (
      await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "ins", sk: "s" } }))
    ).Item;
    expect(item).toMatchObject({
      ssn: "123-45-6789",
      card: { number: "4111" },
      addresses: [{ zip: "94107" }],
    });
  });

  it("UPDATE ... SET ssn = ? stores it encrypted, and SELECT of the field with the key pinned decrypts it", async () => {
    await app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `INSERT INTO "${table}" VALUE {'pk': 'upd', 'sk': 's', 'card': ?, 'addresses': ?, 'ssn': ?}`,
        Parameters: [{ number: "4111" }, [{ zip: "94107" }], "123-45-6789"],
      }),
    );
    await app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `UPDATE "${table}" SET ssn = ? WHERE pk = ? AND sk = 's'`,
        Parameters: ["555-55-5555", "upd"],
      }),
    );
    expectEncrypted(await stored("upd"));
    const out = await app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `SELECT ssn FROM "${table}" WHERE pk = 'upd' AND sk = 's'`,
      }),
    );
    expect(out.Items).toEqual([{ ssn: "555-55-5555" }]);
  });

  it("a WHERE comparing an encrypted field is refused before reaching DynamoDB", async () => {
    await expect(
      app.client.send(
        new ExecuteStatementCommand({
          Statement: `SELECT * FROM "${table}" WHERE ssn = ?`,
          Parameters: [S("123-45-6789")],
        }),
      ),
    ).rejects.toMatchObject({
      code: "expression.unsupportedOnEncrypted",
    });
  });

  it("BatchExecuteStatement and ExecuteTransaction", async () => {
    await app.client.send(
      new ExecuteTransactionCommand({
        TransactStatements: [
          {
            Statement: `INSERT INTO "${table}" VALUE {'pk': 'tx1', 'sk': 's', 'ssn': ?, 'card': ?, 'addresses': []}`,
            Parameters: [S("123-45-6789"), { M: { number: S("4111") } }],
          },
          {
            Statement: `INSERT INTO "${table}" VALUE {'pk': 'tx2', 'sk': 's', 'ssn': ?, 'card': ?, 'addresses': []}`,
            Parameters: [S("555-55-5555"), { M: { number: S("4111") } }],
          },
        ],
      }),
    );
    expectEncrypted(await stored("tx1"));
    expectEncrypted(await stored("tx2"));
    const out = await app.client.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `SELECT * FROM "${table}" WHERE pk = 'tx2' AND sk = 's'` },
          { Statement: `SELECT * FROM "${table}" WHERE pk = 'tx1' AND sk = 's'` },
        ],
      }),
    );
    expect(out.Responses!.map((r) => r.Item?.ssn)).toEqual([S("555-55-5555"), S("123-45-6789")]);
  });
});
