import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ExecuteStatementCommand as DocExecuteStatementCommand } from "@aws-sdk/lib-dynamodb";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { expectRefused } from "../support/refused";
import { setup } from "../support/plugin-setup";

const S = (v: string) => ({ S: v });
const WIRE_KEY = { pk: S("u"), sk: S("s") };
const SLOT = JSON.stringify([WIRE_KEY.pk, WIRE_KEY.sk]);

/** One parameter per `?` in the statement (none of these statements has a `?` inside a string). */
const paramsFor = (statement: string) => [...statement.matchAll(/\?/g)].map((_, i) => S(`p${i}`));

const refused = (
  promise: Promise<unknown>,
  fake: FakeDynamoDB,
  code = "expression.unsupportedOnEncrypted",
) => expectRefused(promise, fake, code);

/** Reads `stored` back through the plugin as if DynamoDB had stored it, proving each value is bound to this item and field. */
async function readBack(ctx: ReturnType<typeof setup>, stored: Record<string, unknown>) {
  ctx.fake.tables.get("Users")!.set(SLOT, { ...WIRE_KEY, ...stored });
  return (await ctx.client.send(new GetItemCommand({ TableName: "Users", Key: WIRE_KEY }))).Item!;
}

describe("PartiQL INSERT", () => {
  it("encrypts the ? parameters written to encrypted fields, nested ones included, and leaves the caller's Parameters alone", async () => {
    const ctx = setup();
    const Parameters = [S("u"), S("s"), S("123-45-6789"), S("4111"), S("94107"), S("Ada")];
    const copy = structuredClone(Parameters);
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?, 'ssn': ?, 'card': {'number': ?, 'expiry': '12/30'}, 'addresses': [{'zip': ?}], 'name': ?}`,
        Parameters,
      }),
    );
    expect(Parameters).toEqual(copy);
    const wire = ctx.fake.last("ExecuteStatement").body.Parameters;
    expect(wire[0]).toEqual(S("u"));
    expect(wire[5]).toEqual(S("Ada"));
    for (const i of [2, 3, 4]) expect(wire[i].S).toMatch(/^ENC:/);
    const item = await readBack(ctx, {
      ssn: wire[2],
      card: { M: { number: wire[3] } },
      addresses: { L: [{ M: { zip: wire[4] } }] },
    });
    expect(item).toMatchObject({
      ssn: S("123-45-6789"),
      card: { M: { number: S("4111") } },
      addresses: { L: [{ M: { zip: S("94107") } }] },
    });
  });

  it("a map parameter has the encrypted fields inside it encrypted; the Document client works too", async () => {
    const ctx = setup();
    await ctx.doc.send(
      new DocExecuteStatementCommand({
        Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': ?}`,
        Parameters: [{ number: "4111", expiry: "12/30" }],
      }),
    );
    const card = ctx.fake.last("ExecuteStatement").body.Parameters[0];
    expect(card.M.number.S).toMatch(/^ENC:/);
    expect(card.M.expiry).toEqual(S("12/30"));
    expect((await readBack(ctx, { card })).card).toEqual({
      M: { number: S("4111"), expiry: S("12/30") },
    });
  });

  it.each([
    [`INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'ssn': '123-45-6789'}`, []],
    [`INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': {'number': 4111}}`, []],
    [`INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'addresses': [{'zip': '94107'}]}`, []],
  ])("refuses a literal plaintext for an encrypted field: %s", async (Statement, Parameters) => {
    const { fake, client } = setup();
    const error = await refused(
      client.send(new ExecuteStatementCommand({ Statement, Parameters })),
      fake,
    );
    expect(error.message).toContain("? parameter");
  });

  it("refuses an INSERT without the key it must bind to", async () => {
    const { fake, client } = setup();
    await refused(
      client.send(
        new ExecuteStatementCommand({
          Statement: `INSERT INTO Users VALUE {'pk': 'u', 'ssn': ?}`,
          Parameters: [S("1")],
        }),
      ),
      fake,
      "item.keyMissing",
    );
  });
});

describe("PartiQL UPDATE", () => {
  it("SET field = ? encrypts the parameter, bound to the key in WHERE", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `UPDATE "Users" SET ssn = ? SET card.expiry = '01/31' WHERE pk = ? AND sk = 's'`,
        Parameters: [S("123-45-6789"), S("u")],
      }),
    );
    const wire = ctx.fake.last("ExecuteStatement").body.Parameters;
    expect(wire[0].S).toMatch(/^ENC:/);
    expect(wire[1]).toEqual(S("u"));
    expect((await readBack(ctx, { ssn: wire[0] })).ssn).toEqual(S("123-45-6789"));
  });

  it("SET list = list_append(list, ?) encrypts the new elements' fields", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `UPDATE Users SET addresses = list_append(addresses, ?) WHERE pk = 'u' AND sk = 's'`,
        Parameters: [{ L: [{ M: { zip: S("94107") } }] }],
      }),
    );
    expect(ctx.fake.last().body.Parameters[0].L[0].M.zip.S).toMatch(/^ENC:/);
  });

  it.each([
    [
      "an UPDATE whose WHERE does not pin the key",
      `UPDATE Users SET ssn = ? WHERE pk = 'u'`,
      "item.keyMissing",
    ],
    [
      "arithmetic on an encrypted field",
      `UPDATE Users SET ssn = ssn + ? WHERE pk = 'u' AND sk = 's'`,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a copy of an encrypted field",
      `UPDATE Users SET other = ssn WHERE pk = 'u' AND sk = 's' AND ? = ?`,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a literal for an encrypted field",
      `UPDATE Users SET ssn = '123-45-6789' WHERE pk = 'u' AND sk = 's' AND x = ?`,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a path inside an encrypted value",
      `UPDATE Users SET ssn.x = ? WHERE pk = 'u' AND sk = 's'`,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a WHERE that compares an encrypted field",
      `UPDATE Users SET n = ? WHERE pk = 'u' AND sk = 's' AND ssn = '1'`,
      "expression.unsupportedOnEncrypted",
    ],
  ])("refuses %s", async (_, Statement, code) => {
    const { fake, client } = setup();
    await refused(
      client.send(new ExecuteStatementCommand({ Statement, Parameters: paramsFor(Statement) })),
      fake,
      code,
    );
  });
});

describe("PartiQL SELECT and DELETE", () => {
  function respondWithStored(fake: FakeDynamoDB) {
    fake.override = (request) =>
      request.operation === "ExecuteStatement"
        ? { status: 200, body: { Items: [...fake.tables.get("Users")!.values()] } }
        : undefined;
  }

  it("SELECT * returns the items decrypted", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'ssn': ?}`,
        Parameters: [S("u"), S("s"), S("123-45-6789")],
      }),
    );
    const p = ctx.fake.last().body.Parameters;
    ctx.fake.tables.get("Users")!.set(SLOT, { pk: p[0], sk: p[1], ssn: p[2] });
    respondWithStored(ctx.fake);
    const out = await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM "Users" WHERE pk = ?`,
        Parameters: [S("u")],
      }),
    );
    expect(out.Items).toEqual([{ ...WIRE_KEY, ssn: S("123-45-6789") }]);
  });

  it("SELECT of encrypted fields without the keys uses the key pinned in WHERE, or is refused", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'ssn': ?}`,
        Parameters: [S("123-45-6789")],
      }),
    );
    const ssn = ctx.fake.last().body.Parameters[0];
    ctx.fake.override = (request) =>
      request.operation === "ExecuteStatement"
        ? { status: 200, body: { Items: [{ ssn }] } }
        : undefined;
    const out = await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT ssn FROM Users WHERE pk = 'u' AND sk = ?`,
        Parameters: [S("s")],
      }),
    );
    expect(out.Items).toEqual([{ ssn: S("123-45-6789") }]);
    ctx.fake.requests.length = 0;
    await refused(
      ctx.client.send(
        new ExecuteStatementCommand({ Statement: `SELECT ssn FROM Users WHERE pk = 'u'` }),
      ),
      ctx.fake,
      "operation.unsupported",
    );
  });

  it.each([
    `SELECT * FROM Users WHERE ssn = ?`,
    `SELECT * FROM Users WHERE contains(card.number, ?)`,
    `SELECT * FROM Users WHERE addresses[0].zip IN [?, 'x']`,
    `DELETE FROM Users WHERE pk = 'u' AND sk = 's' AND ssn = ?`,
  ])("refuses a WHERE that compares an encrypted field: %s", async (Statement) => {
    const { fake, client } = setup();
    const error = await refused(
      client.send(new ExecuteStatementCommand({ Statement, Parameters: [S("1")] })),
      fake,
    );
    expect(error.message).toMatch(/field with a beacon.*searchable-encryption\.md/);
  });

  it("WHERE may ask whether an encrypted field is there", async () => {
    const { fake, client } = setup();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM Users WHERE pk = 'u' AND ssn IS NOT MISSING AND attribute_type(card, 'M')`,
      }),
    );
    expect(fake.requests).toHaveLength(1);
  });

  it("DELETE ... RETURNING ALL OLD * returns the item decrypted", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'ssn': ?}`,
        Parameters: [S("123-45-6789")],
      }),
    );
    ctx.fake.tables
      .get("Users")!
      .set(SLOT, { ...WIRE_KEY, ssn: ctx.fake.last().body.Parameters[0] });
    respondWithStored(ctx.fake);
    const out = await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `DELETE FROM Users WHERE pk = 'u' AND sk = 's' RETURNING ALL OLD *`,
      }),
    );
    expect(out.Items).toEqual([{ ...WIRE_KEY, ssn: S("123-45-6789") }]);
  });
});

describe("PartiQL batches and transactions", () => {
  it("BatchExecuteStatement encrypts per statement and decrypts Responses by position", async () => {
    const ctx = setup();
    await ctx.client.send(
      new BatchExecuteStatementCommand({
        Statements: [
          {
            Statement: `INSERT INTO Plain VALUE {'pk': ?, 'ssn': ?}`,
            Parameters: [S("p"), S("open")],
          },
          {
            Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'ssn': ?}`,
            Parameters: [S("123-45-6789")],
          },
        ],
      }),
    );
    const statements = ctx.fake.last().body.Statements;
    expect(statements[0].Parameters[1]).toEqual(S("open"));
    const ssn = statements[1].Parameters[0];
    expect(ssn.S).toMatch(/^ENC:/);
    ctx.fake.override = () => ({
      status: 200,
      body: {
        Responses: [
          { TableName: "Plain", Item: { pk: S("p"), ssn: S("open") } },
          { TableName: "Users", Item: { ...WIRE_KEY, ssn } },
        ],
      },
    });
    const out = await ctx.client.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `SELECT * FROM Plain WHERE pk = 'p'` },
          { Statement: `SELECT * FROM Users WHERE pk = 'u' AND sk = 's'` },
        ],
      }),
    );
    expect(out.Responses!.map((r) => r.Item)).toEqual([
      { pk: S("p"), ssn: S("open") },
      { ...WIRE_KEY, ssn: S("123-45-6789") },
    ]);
  });

  it("ExecuteTransaction encrypts every statement's parameters", async () => {
    const ctx = setup();
    await ctx.client.send(
      new ExecuteTransactionCommand({
        TransactStatements: [
          {
            Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'ssn': ?}`,
            Parameters: [S("123-45-6789")],
          },
          {
            Statement: `UPDATE Users SET ssn = ? WHERE pk = 'v' AND sk = 's'`,
            Parameters: [S("987-65-4321")],
          },
        ],
      }),
    );
    const statements = ctx.fake.last().body.TransactStatements;
    expect(statements.map((s: any) => s.Parameters[0].S.slice(0, 4))).toEqual(["ENC:", "ENC:"]);
  });

  it("statements on tables without encrypted fields pass untouched, even if their name contains a configured one", async () => {
    const { fake, client } = setup();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM "UsersArchive" WHERE ssn = ?`,
        Parameters: [S("123-45-6789")],
      }),
    );
    expect(fake.last().body.Parameters).toEqual([S("123-45-6789")]);
  });

  it("a statement naming a configured table that cannot be parsed is refused", async () => {
    const { fake, client } = setup();
    await refused(
      client.send(
        new ExecuteStatementCommand({
          Statement: `SELECT * FROM Users WHERE EXISTS (SELECT * FROM Users)`,
        }),
      ),
      fake,
      "operation.unsupported",
    );
  });
});

describe("PartiQL text the plugin and DynamoDB could read differently (security review 1)", () => {
  it.each([
    [
      "the issue's INSERT: a -- comment ended by CR",
      `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ? --\r, 'ssn': ?\n}`,
    ],
    [
      "the issue's UPDATE: a -- comment ended by CR",
      `UPDATE "Users" SET note = ? --\r, ssn = ?\n WHERE pk = 'u' AND sk = 's'`,
    ],
    ["a -- comment ended by LF", `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ? -- x\n, 'ssn': ?}`],
    ["a block comment", `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ? /* x */, 'ssn': ?}`],
    ["CR as whitespace", `INSERT INTO "Users" VALUE {'pk': ?,\r'sk': ?, 'ssn': ?}`],
    ["U+2028 as whitespace", `INSERT INTO "Users" VALUE {'pk': ?,\u2028'sk': ?, 'ssn': ?}`],
    ["NBSP as whitespace", `INSERT INTO "Users" VALUE {'pk': ?,\u00a0'sk': ?, 'ssn': ?}`],
    ["a backslash before a quote", `INSERT INTO "Users" VALUE {'pk': ?, 'n': 'a\\', 'ssn': ?}`],
  ])("refuses %s with operation.unsupported, whatever the parameters", async (_, Statement) => {
    for (const count of [2, 3]) {
      const { fake, client } = setup();
      const Parameters = [S("u"), S("s"), S("123-45-6789")].slice(0, count);
      const error = await refused(
        client.send(new ExecuteStatementCommand({ Statement, Parameters })),
        fake,
        "operation.unsupported",
      );
      expect(error.table).toBe("Users");
      expect(error.message).toContain("Nothing was sent.");
    }
  });

  it("refuses more Parameters than placeholders (DynamoDB ignores the extra one, which would go out in plaintext) and fewer", async () => {
    for (const Parameters of [[S("u"), S("s"), S("123-45-6789")], [S("u")], []]) {
      const { fake, client } = setup();
      const error = await refused(
        client.send(
          new ExecuteStatementCommand({
            Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?}`,
            Parameters: Parameters.length > 0 ? Parameters : undefined,
          }),
        ),
        fake,
        "operation.unsupported",
      );
      expect(error.message).toContain(`2 ? placeholders but ${Parameters.length} Parameters`);
    }
  });

  it("the same checks hold for each statement of a batch and a transaction", async () => {
    const hidden = {
      Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ? --\r, 'ssn': ?\n}`,
      Parameters: [S("u"), S("s"), S("123-45-6789")],
    };
    const fine = { Statement: `INSERT INTO Plain VALUE {'pk': ?}`, Parameters: [S("p")] };
    const { fake, client } = setup();
    await refused(
      client.send(new BatchExecuteStatementCommand({ Statements: [fine, hidden] })),
      fake,
      "operation.unsupported",
    );
    await refused(
      client.send(new ExecuteTransactionCommand({ TransactStatements: [fine, hidden] })),
      fake,
      "operation.unsupported",
    );
  });

  it("a ? and comment look-alikes inside strings are data: the statement is analysed and sent", async () => {
    const { fake, client } = setup();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': 's', 'note': 'it''s -- not /* a ? */', 'ssn': ?}`,
        Parameters: [S("u"), S("123-45-6789")],
      }),
    );
    const wire = fake.last("ExecuteStatement").body.Parameters;
    expect(wire[0]).toEqual(S("u"));
    expect(wire[1].S).toMatch(/^ENC:/);
  });

  it("statements on tables without encrypted fields are not analysed: comments there pass", async () => {
    const { fake, client } = setup();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM Plain --\r WHERE pk = ?`,
      }),
    );
    expect(fake.requests).toHaveLength(1);
  });
});

describe("PartiQL literals where an encrypted field's map or list is expected (security review 6)", () => {
  it.each([
    [
      "'card': '…' in an INSERT",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': '4111111111111111'}`,
      "card.number",
    ],
    [
      "'addresses': ['…'] in an INSERT",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'addresses': ['94107']}`,
      "addresses[].zip",
    ],
    [
      "SET card = '…'",
      `UPDATE Users SET card = '4111111111111111' WHERE pk = 'u' AND sk = 's'`,
      "card.number",
    ],
    [
      "list_append(addresses, ['…'])",
      `UPDATE Users SET addresses = list_append(addresses, ['94107']) WHERE pk = 'u' AND sk = 's'`,
      "addresses[].zip",
    ],
    [
      "a number where the map should be",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': 4111111111111111}`,
      "card.number",
    ],
    [
      "a list where the map should be",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': ['4111111111111111']}`,
      "card.number",
    ],
    [
      "a tuple where the list should be",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'addresses': {'zip': '94107'}}`,
      "addresses[].zip",
    ],
    [
      "a bag of strings where the list should be",
      `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'addresses': <<'94107'>>}`,
      "addresses[].zip",
    ],
  ])("refuses %s with value.unsupportedType, as outside PartiQL", async (_, Statement, field) => {
    const { fake, client } = setup();
    const error = await refused(
      client.send(new ExecuteStatementCommand({ Statement })),
      fake,
      "value.unsupportedType",
    );
    expect(error).toMatchObject({ table: "Users", field });
    expect(error.message).toContain("Nothing was sent.");
  });

  it.each([
    `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': NULL, 'addresses': [NULL, {'city': 'SF'}]}`,
    `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'card': MISSING, 'addresses': MISSING}`,
    `UPDATE Users SET card = NULL SET addresses = list_append(addresses, [NULL]) WHERE pk = 'u' AND sk = 's'`,
  ])("allows NULL and MISSING there, which hold no secret: %s", async (Statement) => {
    const { fake, client } = setup();
    await client.send(new ExecuteStatementCommand({ Statement }));
    expect(fake.last("ExecuteStatement").body.Statement).toBe(Statement);
  });
});
