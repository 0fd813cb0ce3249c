import {
  BatchExecuteStatementCommand,
  type DynamoDBClient,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
} from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { EncryptionError } from "../../src";
import { tokenize } from "../../src/partiql/lexer";
import { parseStatement } from "../../src/partiql/parser";
import { LocalKeyProvider } from "../../src";
import { LOCAL_KEYS } from "../support/plugin-setup";
import { expectRefused } from "../support/refused";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";
import type { FakeDynamoDB } from "../support/fake-dynamodb";

const HEX16 = /^[0-9a-f]{4}$/;
const S = (s: string) => ({ S: s });

const PEOPLE = [
  { pk: "u#1", sk: "p", email: "ada@example.com", profile: { phone: "1" } },
  { pk: "u#2", sk: "p", email: "bob@example.com", profile: { phone: "2" } },
  { pk: "u#3", sk: "p", email: "ADA@example.com ", profile: { phone: "3" } },
];

/** The beacons a PutItem through the same plugin stores for an item with this email and profile.phone; the Put is then forgotten. */
async function storedBeacons(
  { fake, doc }: Awaited<ReturnType<typeof beaconSetup>>,
  email: string,
  phone = "0",
) {
  await doc.send(
    new PutCommand({ TableName: "Users", Item: { pk: "x", sk: "y", email, profile: { phone } } }),
  );
  const item = fake.last("PutItem").body.Item;
  fake.requests.length = 0;
  return { email: item.email__beacon.S as string, phone: item.profile_phone__beacon.S as string };
}

/**
 * The plugin on a fake that answers every SELECT with every stored item (with a
 * SELECT list, only its top-level names), so that every other item is a false
 * positive the plugin must remove.
 */
async function withPeople(config?: Awaited<ReturnType<typeof localBeaconConfig>>) {
  const ctx = await beaconSetup(config);
  for (const Item of PEOPLE) await ctx.doc.send(new PutCommand({ TableName: "Users", Item }));
  const stored = ctx.fake.requests.map((r) => r.body.Item as Record<string, unknown>);
  ctx.fake.requests.length = 0;
  ctx.fake.override = ({ operation, body }) => {
    if (operation !== "ExecuteStatement") return undefined;
    const list = /^SELECT (.*) FROM/i.exec(body.Statement as string)![1]!;
    const names =
      list === "*" ? undefined : list.split(",").map((n) => n.trim().replace(/^"|"$/g, ""));
    const Items = stored.map((i) =>
      names ? Object.fromEntries(Object.entries(i).filter(([k]) => names.includes(k))) : i,
    );
    return { status: 200, body: { Items } };
  };
  return ctx;
}

function send(client: DynamoDBClient, Statement: string, Parameters?: unknown[]) {
  return client.send(new ExecuteStatementCommand({ Statement, Parameters: Parameters as never }));
}

function sentStatement(fake: FakeDynamoDB) {
  return fake.last("ExecuteStatement").body as { Statement: string; Parameters?: unknown[] };
}

describe("PartiQL SELECT by a beacon", () => {
  it("rewrites WHERE email = ? to the beacon attribute and a beacon literal, drops the searched parameter, and removes false positives", async () => {
    const ctx = await withPeople();
    const { fake, client } = ctx;
    const beacon = (await storedBeacons(ctx, "ada@example.com")).email;
    const out = await send(client, "SELECT * FROM Users WHERE email = ?", [S("Ada@Example.com")]);
    const wire = sentStatement(fake);
    expect(wire.Statement).toBe(`SELECT * FROM Users WHERE "email__beacon" = '${beacon}'`);
    expect(wire.Parameters).toBeUndefined();
    expect(JSON.stringify(fake.requests)).not.toMatch(/ada@/i);
    expect(out.Items!.map((i) => i.pk!.S).sort()).toEqual(["u#1", "u#3"]);
  });

  it("rewrites IN [?, ?] and ? = email, keeps other terms and their parameters in order", async () => {
    const { fake, client } = await withPeople();
    const out = await send(
      client,
      `SELECT * FROM "Users" WHERE sk = ? AND email IN [?, ?] AND ? = email AND pk <> ?`,
      [S("p"), S("bob@example.com"), S("nobody@example.com"), S("BOB@example.com"), S("u#9")],
    );
    const wire = sentStatement(fake);
    expect(wire.Statement).toMatch(
      /^SELECT \* FROM "Users" WHERE sk = \? AND "email__beacon" IN \['[0-9a-f]{4}', '[0-9a-f]{4}'\] AND '[0-9a-f]{4}' = "email__beacon" AND pk <> \?$/,
    );
    expect(wire.Parameters).toEqual([S("p"), S("u#9")]);
    expect(out.Items!.map((i) => i.pk!.S)).toEqual(["u#2"]);
  });

  it("works on FROM table.index and on a 256-bit nested field", async () => {
    const { fake, client } = await withPeople();
    const out = await send(
      client,
      `SELECT * FROM Users."email-index" WHERE email = ? AND profile.phone = ?`,
      [S("ada@example.com"), S("3")],
    );
    expect(sentStatement(fake).Statement).toMatch(
      /^SELECT \* FROM Users\."email-index" WHERE "email__beacon" = '[0-9a-f]{4}' AND "profile_phone__beacon" = '[0-9a-f]{64}'$/,
    );
    expect(out.Items!.map((i) => i.pk!.S)).toEqual(["u#3"]);
  });

  it("adds the searched field to a SELECT list that lacks it and removes it from the items", async () => {
    const { fake, client } = await withPeople();
    const out = await send(client, "SELECT pk, sk FROM Users WHERE email = ?", [
      S("bob@example.com"),
    ]);
    expect(sentStatement(fake).Statement).toMatch(/^SELECT pk, sk, "email" FROM Users WHERE/);
    expect(out.Items).toEqual([{ pk: S("u#2"), sk: S("p") }]);
  });

  it("adds the key attributes too when the SELECT list names neither them nor the field, and removes them from the items", async () => {
    const { fake, client } = await withPeople();
    const out = await send(client, "SELECT nick FROM Users WHERE email = ?", [
      S("bob@example.com"),
    ]);
    expect(sentStatement(fake).Statement).toMatch(
      /^SELECT nick, "email", "pk", "sk" FROM Users WHERE/,
    );
    // The fake's stored items have no nick: the one match comes back empty.
    expect(out.Items).toEqual([{}]);
  });

  it("on a table whose KMS key an attribute chooses, adds that attribute with the field, so the lookup decrypts (R2)", async () => {
    const config = await localBeaconConfig();
    config.keyProvider = new LocalKeyProvider({ keys: LOCAL_KEYS });
    config.tables = {
      Orders: {
        partitionKey: "pk",
        keyId: { attribute: "tenantId", keys: { acme: "local/app", globex: "local/pii" } },
        context: { tenant: { attribute: "tenantId" } },
        fields: { secret: { beacon: { length: 8 } } },
      },
    };
    const { fake, client, doc } = await beaconSetup(config);
    for (const [pk, tenantId, secret] of [
      ["o#1", "acme", "s1"],
      ["o#2", "globex", "s2"],
    ])
      await doc.send(new PutCommand({ TableName: "Orders", Item: { pk, tenantId, secret } }));
    const stored = fake.requests.map((r) => r.body.Item as Record<string, unknown>);
    fake.override = ({ operation }) =>
      operation === "ExecuteStatement"
        ? {
            status: 200,
            body: { Items: stored.map(({ pk, tenantId, secret }) => ({ pk, tenantId, secret })) },
          }
        : undefined;
    const out = await send(client, "SELECT pk FROM Orders WHERE secret = ?", [S("s2")]);
    expect(sentStatement(fake).Statement).toMatch(
      /^SELECT pk, "secret", "tenantId" FROM Orders WHERE/,
    );
    expect(out.Items).toEqual([{ pk: S("o#2") }]);
  });

  it("keywords in any case and quoted names are rewritten alike", async () => {
    const { fake, client } = await withPeople();
    await send(client, `select * from Users where "email" = ? and "pk" = ?`, [
      S("bob@example.com"),
      S("u#2"),
    ]);
    expect(sentStatement(fake).Statement).toMatch(
      /^select \* from Users where "email__beacon" = '[0-9a-f]{4}' and "pk" = \?$/,
    );
  });

  it.each([
    ["under OR", "SELECT * FROM Users WHERE email = ? OR pk = ?", 2, "beacon.unsupportedQuery"],
    ["under NOT", "SELECT * FROM Users WHERE NOT email = ?", 1, "beacon.unsupportedQuery"],
    [
      "against a literal",
      "SELECT * FROM Users WHERE email = 'a@b.c'",
      0,
      "beacon.unsupportedQuery",
    ],
    ["with <", "SELECT * FROM Users WHERE email < ?", 1, "beacon.unsupportedQuery"],
    [
      "with BETWEEN",
      "SELECT * FROM Users WHERE email BETWEEN ? AND ?",
      2,
      "beacon.unsupportedQuery",
    ],
    [
      "with begins_with",
      "SELECT * FROM Users WHERE begins_with(email, ?)",
      1,
      "beacon.unsupportedQuery",
    ],
    ["against another path", "SELECT * FROM Users WHERE email = pk", 0, "beacon.unsupportedQuery"],
    [
      "with a SELECT list naming part of the field's map",
      "SELECT pk, sk, profile.city FROM Users WHERE profile.phone = ? AND email = ?",
      2,
      "beacon.unsupportedQuery",
    ],
  ])("refuses a lookup %s, sending nothing", async (_, Statement, n, code) => {
    const { fake, client } = await beaconSetup();
    await expectRefused(
      send(client, Statement, n > 0 ? Array.from({ length: n }, () => S("x")) : undefined),
      fake,
      code,
    );
  });

  it("refuses a WriteOnly client's lookup by a truncated beacon, sending nothing", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email!.mode = "WriteOnly";
    const { fake, client } = await beaconSetup(config);
    await expectRefused(
      send(client, "SELECT * FROM Users WHERE email = ?", [S("a")]),
      fake,
      "beacon.unsupportedQuery",
    );
  });
});

describe("PartiQL WHERE of UPDATE and DELETE, and batched SELECTs, follow the condition rule", () => {
  it.each([
    ["UPDATE Users SET nick = ? WHERE pk = ? AND sk = ? AND email = ?", 4],
    ["DELETE FROM Users WHERE pk = ? AND sk = ? AND email = ?", 3],
  ])("refuses %s on a truncated beacon, sending nothing", async (Statement, n) => {
    const { fake, client } = await beaconSetup();
    await expectRefused(
      send(
        client,
        Statement,
        Array.from({ length: n }, () => S("x")),
      ),
      fake,
      "beacon.conditionNotExact",
    );
  });

  it("refuses a batched or transactional SELECT by a truncated beacon, sending nothing", async () => {
    const { fake, client } = await beaconSetup();
    const statement = {
      Statement: "SELECT * FROM Users WHERE pk = ? AND sk = ? AND email = ?",
      Parameters: [S("a"), S("b"), S("c")],
    };
    await expectRefused(
      client.send(new BatchExecuteStatementCommand({ Statements: [statement] })),
      fake,
      "beacon.conditionNotExact",
    );
    await expectRefused(
      client.send(new ExecuteTransactionCommand({ TransactStatements: [statement] })),
      fake,
      "beacon.conditionNotExact",
    );
  });

  it("a batched or transactional SELECT by a 256-bit beacon leaves out an item whose field holds another value (a stale beacon) (R1)", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const b555 = (await storedBeacons(ctx, "a", "555")).phone;
    await ctx.doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { pk: "u#1", sk: "p", profile: { phone: "999" } },
      }),
    );
    const stale = { ...fake.last("PutItem").body.Item, profile_phone__beacon: { S: b555 } };
    fake.override = ({ operation }) =>
      operation === "BatchExecuteStatement" || operation === "ExecuteTransaction"
        ? {
            status: 200,
            body: {
              Responses: [
                { TableName: "Users", Item: stale },
                { TableName: "Users", Item: stale },
              ],
            },
          }
        : undefined;
    const statement = (phone: string) => ({
      Statement: "SELECT * FROM Users WHERE pk = ? AND sk = ? AND profile.phone = ?",
      Parameters: [S("u#1"), S("p"), S(phone)],
    });
    const batch = await client.send(
      new BatchExecuteStatementCommand({ Statements: [statement("555"), statement("999")] }),
    );
    expect(fake.last().body.Statements[0].Statement).toMatch(
      /"profile_phone__beacon" = '[0-9a-f]{64}'$/,
    );
    expect(batch.Responses![0]!.Item).toBeUndefined();
    expect(batch.Responses![1]!.Item!.profile).toEqual({ M: { phone: S("999") } });
    const transaction = await client.send(
      new ExecuteTransactionCommand({ TransactStatements: [statement("555"), statement("999")] }),
    );
    expect(transaction.Responses![0]!.Item).toBeUndefined();
    expect(transaction.Responses![1]!.Item!.pk).toEqual(S("u#1"));
  });

  it("rewrites a 256-bit, unnormalised beacon in an UPDATE's WHERE, where equality is exact", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacon = (await storedBeacons(ctx, "a", "555")).phone;
    await send(client, "UPDATE Users SET nick = ? WHERE pk = ? AND sk = ? AND profile.phone = ?", [
      S("n"),
      S("u#1"),
      S("p"),
      S("555"),
    ]);
    const wire = sentStatement(fake);
    expect(wire.Statement).toBe(
      `UPDATE Users SET nick = ? WHERE pk = ? AND sk = ? AND "profile_phone__beacon" = '${beacon}'`,
    );
    expect(wire.Parameters).toEqual([S("n"), S("u#1"), S("p")]);
  });
});

describe("PartiQL writes keep beacons in step", () => {
  it("INSERT of a tuple adds the beacon entry, equal to what PutItem stores, and no plaintext", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacons = await storedBeacons(ctx, "Ada@example.com", "12");
    await send(
      client,
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': {'phone': ?}}`,
      [S("u#1"), S("p"), S("Ada@example.com"), S("12")],
    );
    const wire = sentStatement(fake);
    expect(wire.Statement).toBe(
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': {'phone': ?}, 'email__beacon': '${beacons.email}', 'profile_phone__beacon': '${beacons.phone}'}`,
    );
    expect((wire.Parameters![2] as { S: string }).S).toMatch(/^ENC:/);
    expect(JSON.stringify(wire)).not.toMatch(/ada@/i);
  });

  it("INSERT of a tuple whose map parameter holds the field, or with a NULL field, writes the beacon it has", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacons = await storedBeacons(ctx, "a@b.c", "7");
    await send(client, `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': ?}`, [
      S("u#1"),
      S("p"),
      { NULL: true },
      { M: { phone: S("7") } },
    ]);
    expect(sentStatement(fake).Statement).toBe(
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': ?, 'profile_phone__beacon': '${beacons.phone}'}`,
    );
  });

  it("INSERT of a whole-item ? parameter adds the beacon attributes to the parameter", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacons = await storedBeacons(ctx, "a@b.c");
    await send(client, "INSERT INTO Users VALUE ?", [
      { M: { pk: S("u#1"), sk: S("p"), email: S("a@b.c") } },
    ]);
    const wire = sentStatement(fake);
    expect(wire.Statement).toBe("INSERT INTO Users VALUE ?");
    const item = (wire.Parameters![0] as { M: Record<string, { S: string }> }).M;
    expect(item.email__beacon).toEqual(S(beacons.email));
    expect(item.email!.S).toMatch(/^ENC:/);
  });

  it("UPDATE SET email = ? adds SET of the beacon after the last action, before WHERE", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacon = (await storedBeacons(ctx, "a@b.c")).email;
    await send(client, "UPDATE Users SET email = ? SET nick = ? WHERE pk = ? AND sk = ?", [
      S("a@b.c"),
      S("n"),
      S("u#1"),
      S("p"),
    ]);
    const wire = sentStatement(fake);
    expect(wire.Statement).toBe(
      `UPDATE Users SET email = ? SET nick = ? SET "email__beacon" = '${beacon}' WHERE pk = ? AND sk = ?`,
    );
    expect(wire.Parameters).toHaveLength(4);
    expect(JSON.stringify(wire)).not.toContain("a@b.c");
  });

  it.each([
    [
      "SET email = ? to NULL",
      "UPDATE Users SET email = ? WHERE pk = ? AND sk = ?",
      [{ NULL: true }],
      ["email__beacon"],
    ],
    ["REMOVE email", "UPDATE Users REMOVE email WHERE pk = ? AND sk = ?", [], ["email__beacon"]],
    [
      "REMOVE profile",
      "UPDATE Users REMOVE profile WHERE pk = ? AND sk = ?",
      [],
      ["profile_phone__beacon"],
    ],
    [
      "SET profile = ? without the field",
      "UPDATE Users SET profile = ? WHERE pk = ? AND sk = ?",
      [{ M: { city: S("x") } }],
      ["profile_phone__beacon"],
    ],
  ])("UPDATE %s removes the beacon in the same statement", async (_, Statement, first, removed) => {
    const { fake, client } = await beaconSetup();
    await send(client, Statement, [...first, S("u#1"), S("p")]);
    const text = sentStatement(fake).Statement;
    for (const attribute of removed) expect(text).toContain(` REMOVE "${attribute}" WHERE`);
  });

  it("UPDATE SET profile = ? holding the field sets its beacon", async () => {
    const ctx = await beaconSetup();
    const { fake, client } = ctx;
    const beacon = (await storedBeacons(ctx, "a", "99")).phone;
    await send(client, "UPDATE Users SET profile = ? WHERE pk = ? AND sk = ?", [
      { M: { phone: S("99"), city: S("x") } },
      S("u#1"),
      S("p"),
    ]);
    expect(sentStatement(fake).Statement).toBe(
      `UPDATE Users SET profile = ? SET "profile_phone__beacon" = '${beacon}' WHERE pk = ? AND sk = ?`,
    );
  });

  it("a BatchExecuteStatement INSERT and an ExecuteTransaction UPDATE carry their beacons", async () => {
    const { fake, client } = await beaconSetup();
    await client.send(
      new BatchExecuteStatementCommand({
        Statements: [
          {
            Statement: "INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?}",
            Parameters: [S("a"), S("b"), S("c@d")],
          },
        ],
      }),
    );
    expect(fake.last().body.Statements[0].Statement).toMatch(/'email__beacon': '[0-9a-f]{4}'\}$/);
    await client.send(
      new ExecuteTransactionCommand({
        TransactStatements: [
          {
            Statement: "UPDATE Users SET email = ? WHERE pk = ? AND sk = ?",
            Parameters: [S("c@d"), S("a"), S("b")],
          },
        ],
      }),
    );
    expect(fake.last().body.TransactStatements[0].Statement).toMatch(
      /^UPDATE Users SET email = \? SET "email__beacon" = '[0-9a-f]{4}' WHERE/,
    );
  });

  it.each([
    [
      "a literal",
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': 'a@b.c'}`,
      2,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a computed value",
      "UPDATE Users SET email = nick WHERE pk = ? AND sk = ?",
      2,
      "expression.unsupportedOnEncrypted",
    ],
    [
      "a repeated tuple key",
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?, 'email': ?}`,
      4,
      "beacon.unsupportedQuery",
    ],
    [
      "the beacon attribute",
      `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email__beacon': ?}`,
      3,
      "beacon.attributeWrite",
    ],
    [
      "SET of the beacon attribute",
      "UPDATE Users SET email__beacon = ? WHERE pk = ? AND sk = ?",
      3,
      "beacon.attributeWrite",
    ],
    [
      "a value beacons do not cover",
      "UPDATE Users SET email = ? WHERE pk = ? AND sk = ?",
      3,
      "beacon.unsupportedValue",
    ],
  ])("refuses a write of %s, sending nothing", async (what, Statement, n, code) => {
    const { fake, client } = await beaconSetup();
    const params: unknown[] = Array.from({ length: n }, () => S("x"));
    if (what === "a value beacons do not cover") params[0] = { BOOL: true };
    await expectRefused(send(client, Statement, params), fake, code);
  });

  it("a ReadOnly client's INSERT of the field is refused; its REMOVE removes the beacon too", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email!.mode = "ReadOnly";
    const { fake, client } = await beaconSetup(config);
    await expectRefused(
      send(client, "INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?}", [
        S("a"),
        S("b"),
        S("c"),
      ]),
      fake,
      "mode.readOnlyWrite",
    );
    await send(client, "UPDATE Users REMOVE email WHERE pk = ? AND sk = ?", [S("a"), S("b")]);
    expect(sentStatement(fake).Statement).toContain(`REMOVE email REMOVE "email__beacon" WHERE`);
  });

  it("a WriteOnly client writes the beacon with the field", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email!.mode = "WriteOnly";
    const { fake, client } = await beaconSetup(config);
    await send(client, "INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?}", [
      S("a"),
      S("b"),
      S("c"),
    ]);
    expect(sentStatement(fake).Statement).toMatch(/'email__beacon': '[0-9a-f]{4}'\}$/);
    expect(HEX16.test(/'([0-9a-f]+)'\}$/.exec(sentStatement(fake).Statement)![1]!)).toBe(true);
  });

  it("refuses, sending nothing, a statement whose rewrite would not read back as intended (a beacon attribute ending in a backslash)", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = { beacon: { length: 16, attribute: "bad\\" } };
    const { fake, client } = await beaconSetup(config);
    const error = await expectRefused(
      send(client, "SELECT * FROM Users WHERE email = ?", [S("a@b.c")]),
      fake,
      "beacon.unsupportedQuery",
    );
    expect(error.message).toMatch(/could not rewrite the PartiQL statement/);
    await expectRefused(
      send(client, "UPDATE Users SET email = ? WHERE pk = ? AND sk = ?", [
        S("a@b.c"),
        S("a"),
        S("b"),
      ]),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a statement that names the table by its ARN is planned as the table: encrypted, with its beacon (review R8)", async () => {
    const { fake, client } = await beaconSetup();
    const arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Users";
    await send(client, `INSERT INTO "${arn}" VALUE {'pk': ?, 'sk': ?, 'email': ?, 'ssn': ?}`, [
      S("u"),
      S("p"),
      S("ada@x.com"),
      S("123-45-6789"),
    ]);
    const wire = sentStatement(fake);
    expect(wire.Statement).toMatch(/'email__beacon': '[0-9a-f]{4}'\}$/);
    expect(JSON.stringify(wire)).not.toMatch(/ada@x|123-45-6789/);
    await send(client, `SELECT * FROM "${arn}" WHERE email = ?`, [S("ada@x.com")]);
    expect(sentStatement(fake).Statement).toMatch(/WHERE "email__beacon" = '[0-9a-f]{4}'$/);
  });

  it("does not change the caller's statement object or parameters", async () => {
    const { client } = await beaconSetup();
    const Parameters = [S("u#1"), S("p"), S("a@b.c")];
    const input = {
      Statement: "INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email': ?}",
      Parameters,
    };
    const copy = structuredClone(input);
    await client.send(new ExecuteStatementCommand(input));
    expect(input).toEqual(copy);
  });
});

describe("PartiQL beacon lookups, generated", () => {
  /** One WHERE term: its text (with `?`s) and the parameters it takes; `secret` marks a searched plaintext. */
  const term = fc.oneof(
    fc
      .record({
        name: fc.constantFrom("email", '"email"'),
        form: fc.constantFrom("=", "rev", "in[]", "in()"),
        n: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ name, form, n }) => {
        const qs = Array.from({ length: form.startsWith("in") ? n : 1 }, () => "?");
        const text =
          form === "="
            ? `${name} = ?`
            : form === "rev"
              ? `? = ${name}`
              : form === "in[]"
                ? `${name} IN [${qs.join(", ")}]`
                : `${name} IN (${qs.join(",")})`;
        return { text, params: qs.map((_, i) => S(`secret-${i}@mail`)), searched: true };
      }),
    fc.constantFrom(
      { text: "profile.phone = ?", params: [S("secret-phone")], searched: true },
      { text: `"profile"['phone'] = ?`, params: [S("secret-phone")], searched: true },
      { text: "pk = ?", params: [S("u#1")], searched: false },
      { text: "nick <> ?", params: [S("nick")], searched: false },
    ),
  );
  const join = fc.constantFrom(" AND ", " and ", "\tAND\n", " OR ", " AND NOT ");

  it("a SELECT is either refused with nothing sent, or sent with no searched plaintext, one parameter per ?, and no encrypted path left in WHERE", async () => {
    const { fake, client } = await beaconSetup();
    fake.override = ({ operation }) =>
      operation === "ExecuteStatement" ? { status: 200, body: { Items: [] } } : undefined;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(join, term), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("SELECT * FROM Users", `select pk, sk from "Users"."email-index"`),
        async (terms, head) => {
          fake.requests.length = 0;
          const where = terms.map(([j, t], i) => (i === 0 ? t.text : `${j}${t.text}`)).join("");
          const Statement = `${head} WHERE ${where}`;
          const Parameters = terms.flatMap(([, t]) => t.params);
          const result = await send(client, Statement, Parameters).catch((e: unknown) => e);
          if (result instanceof EncryptionError) {
            expect(fake.requests).toHaveLength(0);
            return;
          }
          expect(result).not.toBeInstanceOf(Error);
          sent++;
          const wire = sentStatement(fake);
          expect(JSON.stringify(wire)).not.toContain("secret-");
          expect(parseStatement(wire.Statement).placeholders).toBe(wire.Parameters?.length ?? 0);
          const names = tokenize(wire.Statement.slice(wire.Statement.search(/ where /i)))
            .filter((t) => t.kind === "word" || t.kind === "quoted")
            .map((t) => t.text);
          expect(names).not.toContain("email");
          expect(names).not.toContain("phone");
        },
      ),
      { numRuns: 150 },
    );
    expect(sent).toBeGreaterThan(20);
  });
});
