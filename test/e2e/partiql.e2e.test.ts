import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  ExecuteStatementCommand as DocExecuteStatementCommand,
  GetCommand,
} from "@aws-sdk/lib-dynamodb";
import { useEncryptedTable } from "../support/e2e-setup";

const env = useEncryptedTable("partiql", { ssn: {}, "card.number": {}, "addresses[].zip": {} });
const table = env.table;
const S = (v: string) => ({ S: v });

async function stored(pk: string) {
  return (
    await env.plain.send(new GetItemCommand({ TableName: table, Key: { pk: S(pk), sk: S("s") } }))
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
    await env.app.client.send(
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
    const selected = await env.app.client.send(
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
      await env.app.doc.send(new GetCommand({ TableName: table, Key: { pk: "ins", sk: "s" } }))
    ).Item;
    expect(item).toMatchObject({
      ssn: "123-45-6789",
      card: { number: "4111" },
      addresses: [{ zip: "94107" }],
    });
  });

  it("UPDATE ... SET ssn = ? stores it encrypted, and SELECT of the field with the key pinned decrypts it", async () => {
    await env.app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `INSERT INTO "${table}" VALUE {'pk': 'upd', 'sk': 's', 'card': ?, 'addresses': ?, 'ssn': ?}`,
        Parameters: [{ number: "4111" }, [{ zip: "94107" }], "123-45-6789"],
      }),
    );
    await env.app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `UPDATE "${table}" SET ssn = ? WHERE pk = ? AND sk = 's'`,
        Parameters: ["555-55-5555", "upd"],
      }),
    );
    expectEncrypted(await stored("upd"));
    const out = await env.app.doc.send(
      new DocExecuteStatementCommand({
        Statement: `SELECT ssn FROM "${table}" WHERE pk = 'upd' AND sk = 's'`,
      }),
    );
    expect(out.Items).toEqual([{ ssn: "555-55-5555" }]);
  });

  it("a WHERE comparing an encrypted field is refused before reaching DynamoDB", async () => {
    await expect(
      env.app.client.send(
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
    await env.app.client.send(
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
    const out = await env.app.client.send(
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
