/**
 * A beaconed field embedded in a composite key attribute (single-table
 * designs): writes replace the embedded text by the beacon, lookups are
 * rewritten the same way, and everything that would need the embedded
 * plaintext is refused with nothing sent. Both clients, on the fake wire.
 */
import {
  BatchWriteItemCommand,
  ExecuteStatementCommand,
  PutItemCommand,
  QueryCommand as LowQueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import fc from "fast-check";
import { createItemEncryptor, type FieldEncryptionConfig } from "../../src";
import { expectRefused } from "../support/refused";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

const PATTERN = "^\\$app#email_(.+)$";

/** The beacon config, with `email` embedded in gsi1pk as ElectroDB builds it (lowercased). */
async function compositeConfig(length = 16): Promise<FieldEncryptionConfig> {
  const config = await localBeaconConfig();
  const users = config.tables.Users!;
  users.fields = {
    ...users.fields,
    email: {
      beacon: {
        length,
        normalize: "lowercase",
        composites: [
          { attribute: "gsi1pk", pattern: PATTERN },
          { attribute: "gsi2sk", pattern: "^email_([^#]+)#" },
        ],
      },
    },
  };
  return config;
}

async function compositeSetup(length?: number) {
  const config = await compositeConfig(length);
  return { ...(await beaconSetup(config)), config };
}

const EMAILS = ["Jane.Doe@Example.com", "bob@example.com", "JANE.DOE@example.com"];
const gsi1pk = (email: string) => `$app#email_${email.toLowerCase()}`;
const person = (i: number, email = EMAILS[i]!) => ({
  pk: `u#${i}`,
  sk: "p",
  email,
  gsi1pk: gsi1pk(email),
  gsi1sk: "$user_1",
});

/** No email, in any letter case, anywhere in what reached the wire. */
function expectNoEmail(body: unknown) {
  const text = JSON.stringify(body).toLowerCase();
  for (const email of EMAILS) expect(text).not.toContain(email.toLowerCase());
  expect(text).not.toContain("jane");
}

describe("writes: the embedded text becomes the beacon", () => {
  it("Put (Document client) stores the beacon in place of the embedded email, the same beacon as the beacon attribute", async () => {
    const { fake, doc } = await compositeSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: person(0) }));
    const item = fake.last("PutItem").body.Item;
    expectNoEmail(fake.requests);
    expect(item.gsi1pk.S).toBe(`$app#email_${item.email__beacon.S}`);
    expect(item.gsi1pk.S).toMatch(/^\$app#email_[0-9a-f]{4}$/);
    expect(item.gsi1sk).toEqual({ S: "$user_1" });
  });

  it("Put (low-level client) and the item API write the same composite", async () => {
    const { fake, client, config, doc } = await compositeSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: person(0) }));
    const expected = fake.last().body.Item.gsi1pk.S;
    const p = person(0);
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: p.pk }, sk: { S: p.sk }, email: { S: p.email }, gsi1pk: { S: p.gsi1pk } },
      }),
    );
    expect(fake.last().body.Item.gsi1pk.S).toBe(expected);
    const stored = await createItemEncryptor(config, { shape: "native" }).encryptItem("Users", p);
    expect(stored.gsi1pk).toBe(expected);
    expectNoEmail(stored);
  });

  it("equal after the beacon's normalisation is enough: a differently cased email embeds the same beacon", async () => {
    const { fake, doc } = await compositeSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: person(0) }));
    const first = fake.last().body.Item.gsi1pk.S;
    await doc.send(new PutCommand({ TableName: "Users", Item: person(2) }));
    expect(fake.last().body.Item.gsi1pk.S).toBe(first);
  });

  it("a value the pattern does not match passes unchanged (other entities share the attribute)", async () => {
    const { fake, doc } = await compositeSetup();
    await doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { pk: "t#1", sk: "t", gsi1pk: "$app#team_blue" },
      }),
    );
    expect(fake.last().body.Item.gsi1pk).toEqual({ S: "$app#team_blue" });
  });

  it("BatchWriteItem and TransactWriteItems Puts are rewritten", async () => {
    const { fake, doc, client } = await compositeSetup();
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          Users: [{ PutRequest: { Item: person(0) } }, { PutRequest: { Item: person(1) } }],
        },
      }),
    );
    const batch = fake.last("BatchWriteItem").body.RequestItems.Users;
    for (const { PutRequest } of batch)
      expect(PutRequest.Item.gsi1pk.S).toBe(`$app#email_${PutRequest.Item.email__beacon.S}`);
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: "Users", Item: person(1) } }],
      }),
    );
    const put = fake.last("TransactWriteItems").body.TransactItems[0].Put.Item;
    expect(put.gsi1pk.S).toBe(`$app#email_${put.email__beacon.S}`);
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          Users: [
            {
              PutRequest: {
                Item: {
                  pk: { S: "u#9" },
                  sk: { S: "p" },
                  email: { S: "bob@example.com" },
                  gsi1pk: { S: gsi1pk("bob@example.com") },
                },
              },
            },
          ],
        },
      }),
    );
    const low = fake.last("BatchWriteItem").body.RequestItems.Users[0].PutRequest.Item;
    expect(low.gsi1pk.S).toBe(`$app#email_${low.email__beacon.S}`);
    expectNoEmail(fake.requests);
  });

  it("UpdateItem SET of the field and the composite, as ElectroDB's update and patch send it, rewrites the composite", async () => {
    const { fake, doc, client } = await compositeSetup();
    const email = "New@x.com";
    const params = {
      TableName: "Users",
      Key: { pk: "u#1", sk: "p" },
      UpdateExpression: "SET #email = :email_u0, #gsi1pk = :gsi1pk_u0, #gsi1sk = :gsi1sk_u0",
      ExpressionAttributeNames: {
        "#email": "email",
        "#gsi1pk": "gsi1pk",
        "#gsi1sk": "gsi1sk",
        "#pk": "pk",
      },
      ExpressionAttributeValues: {
        ":email_u0": email,
        ":gsi1pk_u0": gsi1pk(email),
        ":gsi1sk_u0": "$user_1",
      },
      ConditionExpression: "attribute_exists(#pk)",
    };
    await doc.send(new UpdateCommand(params));
    const body = fake.last("UpdateItem").body;
    expect(JSON.stringify(body).toLowerCase()).not.toContain("new@x.com");
    const values = body.ExpressionAttributeValues;
    const beacon = Object.entries(values).find(([k]) => k.startsWith(":dfe_b"))![1] as {
      S: string;
    };
    expect(values[":gsi1pk_u0"]).toEqual({ S: `$app#email_${beacon.S}` });
    await client.send(
      new UpdateItemCommand({
        ...params,
        Key: { pk: { S: "u#1" }, sk: { S: "p" } },
        ExpressionAttributeValues: {
          ":email_u0": { S: email },
          ":gsi1pk_u0": { S: gsi1pk(email) },
          ":gsi1sk_u0": { S: "$user_1" },
        },
      }),
    );
    expect(fake.last("UpdateItem").body.ExpressionAttributeValues[":gsi1pk_u0"]).toEqual(
      values[":gsi1pk_u0"],
    );
  });

  it("legacy AttributeUpdates PUT of the field and the composite rewrites the composite", async () => {
    const { fake, client } = await compositeSetup();
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: { pk: { S: "u#1" }, sk: { S: "p" } },
        AttributeUpdates: {
          email: { Action: "PUT", Value: { S: "bob@example.com" } },
          gsi1pk: { Action: "PUT", Value: { S: gsi1pk("bob@example.com") } },
        },
      }),
    );
    const updates = fake.last().body.AttributeUpdates;
    expect(updates.gsi1pk.Value.S).toBe(`$app#email_${updates.email__beacon.Value.S}`);
    expectNoEmail(fake.requests);
  });
});

describe("writes that are refused, with nothing sent", () => {
  it("a composite that embeds another value than the field's (Put, both clients; Update; AttributeUpdates)", async () => {
    const { fake, doc, client } = await compositeSetup();
    const forged = { ...person(0), gsi1pk: gsi1pk("bob@example.com") };
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: forged })),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: {
            pk: { S: "u#1" },
            sk: { S: "p" },
            email: { S: "a@b.c" },
            gsi1pk: { S: gsi1pk("a@b.cd") },
          },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET email = :e, gsi1pk = :g",
          ExpressionAttributeValues: { ":e": "a@b.c", ":g": gsi1pk("z@b.c") },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      client.send(
        new UpdateItemCommand({
          TableName: "Users",
          Key: { pk: { S: "u#1" }, sk: { S: "p" } },
          AttributeUpdates: {
            email: { Action: "PUT", Value: { S: "a@b.c" } },
            gsi1pk: { Action: "PUT", Value: { S: gsi1pk("z@b.c") } },
          },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("a composite that matches the pattern without the field in the same request", async () => {
    const { fake, doc, client } = await compositeSetup();
    const noEmail: Record<string, unknown> = { ...person(0) };
    delete noEmail.email;
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: noEmail })),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET gsi1pk = :g REMOVE email",
          ExpressionAttributeValues: { ":g": gsi1pk("a@b.c") },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      client.send(
        new UpdateItemCommand({
          TableName: "Users",
          Key: { pk: { S: "u#1" }, sk: { S: "p" } },
          AttributeUpdates: { gsi1pk: { Action: "PUT", Value: { S: gsi1pk("a@b.c") } } },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { ...person(0), email: null } })),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("a composite computed in an update (if_not_exists, ADD) when its value embeds the field", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET email = :e, gsi1pk = if_not_exists(gsi1pk, :g)",
          ExpressionAttributeValues: { ":e": "a@b.c", ":g": gsi1pk("a@b.c") },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("legacy AttributeUpdates ADD of a composite whose value embeds the field", async () => {
    const { fake, client } = await compositeSetup();
    await expectRefused(
      client.send(
        new UpdateItemCommand({
          TableName: "Users",
          Key: { pk: { S: "u#1" }, sk: { S: "p" } },
          AttributeUpdates: {
            email: { Action: "PUT", Value: { S: "a@b.c" } },
            gsi1pk: { Action: "ADD", Value: { S: gsi1pk("a@b.c") } },
          },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a composite value longer than a pattern runs on", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new PutCommand({ TableName: "Users", Item: { ...person(0), gsi1pk: "x".repeat(2049) } }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("a PartiQL statement that names a composite attribute", async () => {
    const { fake, client } = await compositeSetup();
    await expectRefused(
      client.send(
        new ExecuteStatementCommand({
          Statement: `SELECT * FROM "Users"."gsi1" WHERE "gsi1pk" = ?`,
          Parameters: [{ S: gsi1pk("a@b.c") }],
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
    await expectRefused(
      client.send(
        new ExecuteStatementCommand({
          Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?, 'email': ?, 'GSI1PK': ?}`,
          Parameters: [{ S: "u" }, { S: "p" }, { S: "a@b.c" }, { S: gsi1pk("a@b.c") }],
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });
});

/** Three people stored; the fake returns all of them for any Query, so the others are false positives. */
async function withPeople(length?: number) {
  const ctx = await compositeSetup(length);
  for (let i = 0; i < 3; i++)
    await ctx.doc.send(new PutCommand({ TableName: "Users", Item: person(i) }));
  ctx.fake.requests.length = 0;
  return ctx;
}

const byEmail = (email: string) => ({
  TableName: "Users",
  IndexName: "gsi1",
  KeyConditionExpression: "#pk = :pk and #sk1 = :sk1",
  ExpressionAttributeNames: { "#pk": "gsi1pk", "#sk1": "gsi1sk" },
  ExpressionAttributeValues: { ":pk": gsi1pk(email), ":sk1": "$user_1" },
});

describe("lookups: the key condition's embedded text becomes the beacon", () => {
  it("a Query as ElectroDB sends it (Document client) compares the beacon composite and removes false positives", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(new QueryCommand(byEmail("jane.doe@example.com")));
    const wire = fake.last("Query").body;
    expectNoEmail(wire);
    expect(wire.KeyConditionExpression).toBe("#pk = :dfe_c and #sk1 = :sk1");
    const stored = fake.stored("Users", { pk: { S: "u#0" }, sk: { S: "p" } })!;
    expect(wire.ExpressionAttributeValues[":dfe_c"]).toEqual(stored.gsi1pk);
    expect(wire.ExpressionAttributeValues[":pk"]).toBeUndefined();
    expect(out.Items!.map((i) => i.pk).sort()).toEqual(["u#0", "u#2"]);
    expect(out.Count).toBe(2);
  });

  it("the low-level client gets the same rewrite and the same result", async () => {
    const { fake, client } = await withPeople();
    const q = byEmail("bob@example.com");
    const out = await client.send(
      new LowQueryCommand({
        ...q,
        ExpressionAttributeValues: {
          ":pk": { S: q.ExpressionAttributeValues[":pk"] },
          ":sk1": { S: "$user_1" },
        },
      }),
    );
    expectNoEmail(fake.last().body);
    expect(out.Items!.map((i) => i.pk!.S)).toEqual(["u#1"]);
  });

  it("a key condition the pattern does not match passes unchanged, and nothing is removed", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new QueryCommand({
        TableName: "Users",
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": "$app#team_blue" },
      }),
    );
    expect(fake.last().body.ExpressionAttributeValues).toEqual({ ":pk": { S: "$app#team_blue" } });
    expect(out.Items).toHaveLength(3);
  });

  it("begins_with giving the whole embedded value and what follows is rewritten; a prefix that stops before it passes", async () => {
    const { fake, doc } = await compositeSetup();
    for (let i = 0; i < 3; i++)
      await doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { ...person(i), gsi2sk: `email_${EMAILS[i]!.toLowerCase()}#id_${i}` },
        }),
      );
    const stored = fake.stored("Users", { pk: { S: "u#1" }, sk: { S: "p" } })!;
    expect(stored.gsi2sk.S).toBe(`email_${stored.email__beacon.S}#id_1`);
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "begins_with(gsi2sk, :p)",
        ExpressionAttributeValues: { ":p": "email_bob@example.com#" },
      }),
    );
    expectNoEmail(fake.last().body);
    expect(fake.last().body.ExpressionAttributeValues[":dfe_c"]).toEqual({
      S: `email_${stored.email__beacon.S}#`,
    });
    expect(out.Items!.map((i) => i.pk)).toEqual(["u#1"]);
    await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "begins_with(gsi1pk, :p)",
        ExpressionAttributeValues: { ":p": "$app#email_" },
      }),
    );
    expect(fake.last().body.ExpressionAttributeValues).toEqual({ ":p": { S: "$app#email_" } });
  });

  it("a projection without the field gets it added and removed again", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new QueryCommand({ ...byEmail("bob@example.com"), ProjectionExpression: "pk" }),
    );
    expect(fake.last().body.ProjectionExpression).toMatch(/^pk, #dfe_m0/);
    expect(out.Items).toEqual([{ pk: "u#1" }]);
  });
});

describe("lookups that are refused, with nothing sent", () => {
  const scan = (FilterExpression: string, value: string, extra: Record<string, unknown> = {}) =>
    new ScanCommand({
      TableName: "Users",
      FilterExpression,
      ExpressionAttributeValues: { ":v": value },
      ...extra,
    });

  it.each([
    ["a range on the embedded value", "gsi1pk > :v", gsi1pk("a@b.c")],
    ["a range bound reaching into it", "gsi1pk < :v", "$app#email_m"],
    ["BETWEEN", "gsi1pk BETWEEN :v AND :v", "$app#email_a"],
    ["<>", "gsi1pk <> :v", gsi1pk("a@b.c")],
    ["contains", "contains(gsi1pk, :v)", "jane"],
    [
      "a begins_with prefix that stops inside the embedded value",
      "begins_with(gsi1pk, :v)",
      "$app#email_ja",
    ],
    ["an equality under OR", "gsi1pk = :v OR attribute_exists(pk)", gsi1pk("a@b.c")],
    ["an equality under NOT", "NOT gsi1pk = :v", gsi1pk("a@b.c")],
  ])("%s (beacon.unsupportedQuery)", async (_, filter, value) => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(doc.send(scan(filter, value)), fake, "beacon.unsupportedQuery");
  });

  it("IN mixing values that embed the field with values that do not", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "gsi1pk IN (:a, :b)",
          ExpressionAttributeValues: { ":a": gsi1pk("a@b.c"), ":b": "$app#team_blue" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("Select COUNT, whose Count could not be corrected", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(new QueryCommand({ ...byEmail("a@b.c"), Select: "COUNT" })),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a ConditionExpression equality on a truncated composite (beacon.conditionNotExact)", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "u#1", sk: "p" },
          ConditionExpression: "gsi1pk = :v",
          ExpressionAttributeValues: { ":v": gsi1pk("a@b.c") },
        }),
      ),
      fake,
      "beacon.conditionNotExact",
    );
  });

  it("legacy KeyConditions and ScanFilter with a value that embeds the field or reaches into it", async () => {
    const { fake, client, doc } = await compositeSetup();
    await expectRefused(
      client.send(
        new LowQueryCommand({
          TableName: "Users",
          IndexName: "gsi1",
          KeyConditions: {
            gsi1pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: gsi1pk("a@b.c") }] },
          },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
    await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          ScanFilter: {
            gsi1pk: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: ["$app#email_j"] },
          },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });
});

describe("more lookup rules", () => {
  it("an equality whose value reaches into the embedded value without matching is refused", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "gsi2sk = :v",
          ExpressionAttributeValues: { ":v": "email_jane" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a WriteOnly client's lookup by a truncated composite is refused", async () => {
    const config = await compositeConfig();
    (config.tables.Users!.fields.email as { mode?: string }).mode = "WriteOnly";
    const { fake, doc } = await beaconSetup(config);
    await expectRefused(
      doc.send(new QueryCommand(byEmail("a@b.c"))),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a 256-bit beacon without normalize is exact: a ConditionExpression on the composite is rewritten", async () => {
    const config = await compositeConfig(256);
    (config.tables.Users!.fields.email as { beacon: { normalize?: unknown } }).beacon.normalize =
      undefined;
    const { fake, doc } = await beaconSetup(config);
    await doc.send(new PutCommand({ TableName: "Users", Item: person(1) }));
    const stored = fake.last().body.Item.gsi1pk;
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "SET nick = :n",
        ConditionExpression: "gsi1pk = :v",
        ExpressionAttributeValues: { ":n": "b", ":v": gsi1pk("bob@example.com") },
      }),
    );
    const body = fake.last("UpdateItem").body;
    expect(body.ConditionExpression).toBe("gsi1pk = :dfe_c");
    expect(body.ExpressionAttributeValues[":dfe_c"]).toEqual(stored);
    expectNoEmail(body);
  });
});

describe("property: any literal prefix, any letter case", () => {
  // Syntax characters a `u` pattern must escape; others are written as they are.
  const escape = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  const prefixChar = fc.constantFrom(..."$#_:|.*+?()[]{}^\\/-aZ9 ".split(""));
  const local = fc.stringMatching(/^[a-z0-9._]{1,12}$/);
  const randomCase = (text: string, flips: boolean[]) =>
    [...text].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join("");

  it("Put stores prefix + beacon with no trace of the email, and a lookup in another letter case finds exactly it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(prefixChar, { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
        local,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (prefix, name, flips) => {
          const config = await localBeaconConfig();
          const email = `${name}@example.com`;
          config.tables.Users!.fields = {
            email: {
              beacon: {
                length: 4,
                normalize: "lowercase",
                composites: [{ attribute: "gsi1pk", pattern: `^${escape(prefix)}(.+)$` }],
              },
            },
          };
          const { fake, doc } = await beaconSetup(config);
          await doc.send(
            new PutCommand({
              TableName: "Users",
              Item: { pk: "a", sk: "b", email: randomCase(email, flips), gsi1pk: prefix + email },
            }),
          );
          const item = fake.last().body.Item;
          expect(item.gsi1pk.S).toBe(prefix + item.email__beacon.S);
          expect(JSON.stringify(fake.requests).toLowerCase()).not.toContain(
            name.toLowerCase() + "@",
          );
          fake.requests.length = 0;
          const out = await doc.send(
            new QueryCommand({
              TableName: "Users",
              IndexName: "gsi1",
              KeyConditionExpression: "gsi1pk = :pk",
              ExpressionAttributeValues: {
                ":pk":
                  prefix +
                  randomCase(
                    email,
                    flips.map((f) => !f),
                  ),
              },
            }),
          );
          expect(fake.last().body.ExpressionAttributeValues).toEqual({ ":dfe_c": item.gsi1pk });
          expect(out.Items!.map((i) => i.email)).toEqual([randomCase(email, flips)]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("embedded text never left elsewhere in the request", () => {
  it("a composite key value also used by another term is refused", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :pk",
          FilterExpression: "note = :pk",
          ExpressionAttributeValues: { ":pk": gsi1pk("jane@x.com") },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("an unused ExpressionAttributeValues entry that embeds a value is refused", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": gsi1pk("jane@x.com"), ":x": gsi1pk("jane@x.com") },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a composite that repeats the field's value outside its capture group is refused", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern: "^\\$app#email_([^#]+)#.*$" }],
      },
    };
    const { fake, doc } = await beaconSetup(config);
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: {
            pk: "1",
            sk: "s",
            email: "Jane@x.com",
            gsi1pk: "$app#email_jane@x.com#login_JANE@x.com",
          },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });
});

describe("items read back, WriteOnly write-backs, delimiters inside the value", () => {
  it("putting back an item read through the plugin keeps its composite (it already holds the beacon)", async () => {
    const { fake, doc } = await compositeSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: person(0) }));
    const { Items } = await doc.send(new ScanCommand({ TableName: "Users" }));
    const read = Items![0]!;
    expect(read.gsi1pk).toBe(`$app#email_${read.email__beacon}`);
    await doc.send(new PutCommand({ TableName: "Users", Item: { ...read, name: "b" } }));
    expect(fake.last("PutItem").body.Item.gsi1pk).toEqual({ S: read.gsi1pk });
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: read.pk, sk: read.sk },
        UpdateExpression: "SET email = :e, gsi1pk = :g",
        ExpressionAttributeValues: { ":e": read.email, ":g": read.gsi1pk },
      }),
    );
    expect(fake.last("UpdateItem").body.ExpressionAttributeValues[":g"]).toEqual({
      S: read.gsi1pk,
    });
    fake.requests.length = 0;
    const other = read.email__beacon === "0000" ? "0001" : "0000";
    await expectRefused(
      doc.send(
        new PutCommand({ TableName: "Users", Item: { ...read, gsi1pk: `$app#email_${other}` } }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("a WriteOnly update writing back the ciphertext it read, with a composite built from it, is refused", async () => {
    const config = await compositeConfig();
    (config.tables.Users!.fields.email as { mode?: string }).mode = "WriteOnly";
    const { fake, doc } = await beaconSetup(config);
    await doc.send(new PutCommand({ TableName: "Users", Item: person(0) }));
    const { Items } = await doc.send(new ScanCommand({ TableName: "Users" }));
    const email = String(Items![0]!.email);
    expect(email).toMatch(/^ENC:/);
    fake.requests.length = 0;
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#0", sk: "p" },
          UpdateExpression: "SET email = :e, gsi1pk = :k, nick = :n",
          ExpressionAttributeValues: {
            ":e": email,
            ":k": `$app#email_${email.toLowerCase()}`,
            ":n": "x",
          },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("a written composite that runs into the embedded value without matching (an email with the delimiter) is refused", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern: "^\\$app#email_([^#]+)#org_.*$" }],
      },
    };
    const { fake, doc } = await beaconSetup(config);
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "u", sk: "s", email: "a#b@x.com", gsi1pk: "$app#email_a#b@x.com#org_acme" },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "t", sk: "s", gsi1pk: "$app#team_blue" } }),
    );
    expect(fake.last().body.Item.gsi1pk).toEqual({ S: "$app#team_blue" });
  });
});

describe("short values", () => {
  it("a short value that happens to occur in the pattern's literal prefix is accepted", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.country = {
      beacon: {
        length: 8,
        normalize: "lowercase",
        composites: [{ attribute: "gsi3pk", pattern: "^\\$app#country_(.+)$" }],
      },
    };
    const { fake, doc } = await beaconSetup(config);
    for (const c of ["co", "tr", "ap", "us", "country"])
      await doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "u", sk: "s", country: c.toUpperCase(), gsi3pk: `$app#country_${c}` },
        }),
      );
    expect(fake.requests).toHaveLength(5);
    for (const r of fake.requests)
      expect(r.body.Item.gsi3pk.S).toMatch(/^\$app#country_[0-9a-f]{2}$/);
  });
});

describe("reaching values everywhere, letter case, the SDK log", () => {
  const DELIMITED = "^\\$app#email_([^#]+)#org_.*$";
  async function delimitedSetup(clientOptions?: Parameters<typeof beaconSetup>[1]) {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern: DELIMITED }],
      },
    };
    return beaconSetup(config, clientOptions);
  }

  it("if_not_exists with a value reaching into the embedded text is refused", async () => {
    const { fake, doc } = await delimitedSetup();
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "1", sk: "s" },
          UpdateExpression: "SET email = :e, gsi1pk = if_not_exists(gsi1pk, :v)",
          ExpressionAttributeValues: { ":e": "a#b@x.com", ":v": "$app#email_a#b@x.com#org_acme" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("an unused :value reaching into the embedded text is refused", async () => {
    const { fake, doc } = await delimitedSetup();
    await expectRefused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :k",
          ExpressionAttributeValues: {
            ":k": "$app#email_bob@x.com#org_acme",
            ":x": "$app#email_a#b@x.com#org_acme",
          },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a composite whose prefix differs only in letter case is refused", async () => {
    const { fake, doc } = await compositeSetup();
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "1", sk: "s", email: "Jane@X.com", gsi1pk: "$APP#EMAIL_JANE@X.COM" },
        }),
      ),
      fake,
      "beacon.compositeMismatch",
    );
  });

  it("the SDK logger never sees a composite's embedded plaintext (both clients)", async () => {
    const lines: string[] = [];
    const log = (...a: unknown[]) => lines.push(JSON.stringify(a));
    const { doc, client } = await delimitedSetup({
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const composite = "$app#email_jane@x.com#org_acme";
    await doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { pk: "1", sk: "s", email: "Jane@X.com", gsi1pk: composite },
      }),
    );
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: { pk: { S: "1" }, sk: { S: "s" } },
        AttributeUpdates: {
          email: { Action: "PUT", Value: { S: "jane@x.com" } },
          gsi1pk: { Action: "PUT", Value: { S: composite } },
        },
      }),
    );
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: "Users",
              Item: { pk: "2", sk: "s", email: "jane@x.com", gsi1pk: composite },
            },
          },
        ],
      }),
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n").toLowerCase()).not.toContain("jane@x.com");
  });
});

describe("ElectroDB sort-key ranges after the embedded field", () => {
  async function ordersSetup() {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 2,
        normalize: "lowercase",
        composites: [{ attribute: "gsi2sk", pattern: "^\\$order_1#email_([^#]+)#createdat_.*$" }],
      },
    };
    const ctx = await beaconSetup(config);
    const orders = new Entity(
      {
        model: { entity: "order", version: "1", service: "app" },
        attributes: {
          id: { type: "string", required: true },
          org: { type: "string", required: true },
          email: { type: "string", required: true },
          createdAt: { type: "string", required: true },
        },
        indexes: {
          byId: { pk: { field: "pk", composite: ["id"] }, sk: { field: "sk", composite: [] } },
          byOrg: {
            index: "gsi2",
            pk: { field: "gsi2pk", composite: ["org"] },
            sk: { field: "gsi2sk", composite: ["email", "createdAt"] },
          },
        },
      },
      { client: ctx.doc, table: "Users" },
    );
    return { ...ctx, orders };
  }

  it("between with both bounds embedding the same email is rewritten, and exact", async () => {
    const { fake, orders } = await ordersSetup();
    await orders.put({ id: "1", org: "acme", email: "Jane@X.com", createdAt: "2023-06-01" }).go();
    await orders.put({ id: "2", org: "acme", email: "bob@x.com", createdAt: "2023-06-01" }).go();
    const { data } = await orders.query
      .byOrg({ org: "acme", email: "jane@x.com" })
      .between({ createdAt: "2023-01-01" }, { createdAt: "2024-01-01" })
      .go();
    // The fake returns every item: bob's is a false positive the plugin removes.
    expect(data.map((o) => o.id)).toEqual(["1"]);
    const body = fake.last("Query").body;
    expect(JSON.stringify(body).toLowerCase()).not.toContain("jane@x.com");
    expect(body.KeyConditionExpression).toMatch(/BETWEEN :dfe_c AND :dfe_c_1/);
  });

  it("between whose bounds embed different emails, or only one of which embeds one, is refused", async () => {
    const { fake, doc } = await ordersSetup();
    const between = (low: string, high: string) =>
      doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "gsi2",
          KeyConditionExpression: "gsi2pk = :p AND gsi2sk BETWEEN :a AND :b",
          ExpressionAttributeValues: { ":p": "x", ":a": low, ":b": high },
        }),
      );
    await expectRefused(
      between("$order_1#email_a@x.com#createdat_1", "$order_1#email_b@x.com#createdat_2"),
      fake,
      "beacon.unsupportedQuery",
    );
    await expectRefused(
      between("$order_1#email_a@x.com#createdat_1", "$order_2#email_a@x.com#createdat_2"),
      fake,
      "beacon.unsupportedQuery",
    );
  });
});

it("between whose bounds embed the same email after different text is refused (other emails lie between them)", async () => {
  const config = await localBeaconConfig();
  config.tables.Users!.fields.email = {
    beacon: {
      length: 16,
      composites: [{ attribute: "gsi2sk", pattern: "^o\\d#([^#]+)#.*$" }],
    },
  };
  const { fake, doc } = await beaconSetup(config);
  await expectRefused(
    doc.send(
      new QueryCommand({
        TableName: "Users",
        IndexName: "gsi2",
        KeyConditionExpression: "gsi2pk = :p AND gsi2sk BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":p": "x", ":a": "o1#a@x.com#1", ":b": "o2#a@x.com#2" },
      }),
    ),
    fake,
    "beacon.unsupportedQuery",
  );
});

describe("composites[].required", () => {
  async function requiredSetup(required: boolean) {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern: PATTERN, required }],
      },
    };
    return beaconSetup(config);
  }
  const setEmail = new UpdateCommand({
    TableName: "Users",
    Key: { pk: "u#1", sk: "p" },
    UpdateExpression: "SET email = :e",
    ExpressionAttributeValues: { ":e": "new@x.com" },
  });
  const putEmail = new UpdateItemCommand({
    TableName: "Users",
    Key: { pk: { S: "u#1" }, sk: { S: "p" } },
    AttributeUpdates: { email: { Action: "PUT", Value: { S: "new@x.com" } } },
  });

  it("refuses a PartiQL UPDATE that names the field, which cannot set the composite; not without required", async () => {
    const statement = () =>
      new ExecuteStatementCommand({
        Statement: `UPDATE "Users" SET email = ? WHERE pk = 'u#1' AND sk = 'p'`,
        Parameters: [{ S: "new@x.com" }],
      });
    const required = await requiredSetup(true);
    await expectRefused(
      required.client.send(statement()),
      required.fake,
      "beacon.compositeMismatch",
    );
    const optional = await requiredSetup(false);
    await optional.client.send(statement());
    expect(optional.fake.requests).toHaveLength(1);
  });

  it("refuses an update that sets the field without the composite (both update forms)", async () => {
    const { fake, doc, client } = await requiredSetup(true);
    await expectRefused(doc.send(setEmail), fake, "beacon.compositeMismatch");
    await expectRefused(client.send(putEmail), fake, "beacon.compositeMismatch");
  });

  it("passes the same updates when the composite is not required, and a required one set with the field", async () => {
    const loose = await requiredSetup(false);
    await loose.doc.send(setEmail);
    await loose.client.send(putEmail);
    expect(loose.fake.requests).toHaveLength(2);
    const strict = await requiredSetup(true);
    await strict.doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "SET email = :e, gsi1pk = :g",
        ExpressionAttributeValues: { ":e": "new@x.com", ":g": gsi1pk("new@x.com") },
      }),
    );
    expect(strict.fake.requests).toHaveLength(1);
  });
});

describe("the copy guard searches the text around a composite's beacon", () => {
  /** `email` embedded in gsi1pk before other text, so that the pattern leaves the caller's text after the capture. */
  async function suffixSetup(pattern: string) {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern }],
      },
    };
    return beaconSetup(config);
  }

  it("another encrypted field after the beacon is refused (Put and UpdateItem), nothing sent", async () => {
    const ctx = await suffixSetup("^\\$app#email_([^#]+)#ssn_.*$");
    const item = {
      pk: "1",
      sk: "s",
      email: "jane@x.com",
      ssn: "123-45-6789",
      gsi1pk: "$app#email_jane@x.com#ssn_123-45-6789",
    };
    await expectRefused(
      ctx.doc.send(new PutCommand({ TableName: "Users", Item: item })),
      ctx.fake,
      "plaintext.copied",
    );
    await expectRefused(
      ctx.doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "1", sk: "s" },
          UpdateExpression: "SET email = :e, ssn = :s, gsi1pk = :k",
          ExpressionAttributeValues: { ":e": item.email, ":s": item.ssn, ":k": item.gsi1pk },
        }),
      ),
      ctx.fake,
      "plaintext.copied",
    );
  });

  it("the same text around the beacon without a copy is sent, with only the capture replaced", async () => {
    const ctx = await suffixSetup("^\\$app#email_([^#]+)#ssn_.*$");
    await ctx.doc.send(
      new PutCommand({
        TableName: "Users",
        Item: {
          pk: "1",
          sk: "s",
          email: "jane@x.com",
          ssn: "123-45-6789",
          gsi1pk: "$app#email_jane@x.com#ssn_x",
        },
      }),
    );
    const sent = ctx.fake.stored("Users", { pk: { S: "1" }, sk: { S: "s" } })!;
    expect(sent.gsi1pk!.S).toMatch(/^\$app#email_[0-9a-f]{4}#ssn_x$/);
  });
});

describe("composite boundaries (mutation run)", () => {
  async function oneComposite(pattern: string) {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.code = {
      beacon: { length: 16, composites: [{ attribute: "gsi3pk", pattern }] },
    };
    return beaconSetup(config);
  }
  const put = (code: string, gsi3pk: string) =>
    new PutCommand({ TableName: "Users", Item: { pk: "u", sk: "s", code, gsi3pk } });

  it("a composite of exactly 2,048 characters is rewritten; 2,049 is refused", async () => {
    const { fake, doc } = await oneComposite("^c_(.+)$");
    const code = "k".repeat(2046);
    await doc.send(put(code, `c_${code}`));
    expect(fake.last().body.Item.gsi3pk.S).toMatch(/^c_[0-9a-f]{4}$/);
    const refused = await oneComposite("^c_(.+)$");
    await expectRefused(
      refused.doc.send(put(`${code}k`, `c_${code}k`)),
      refused.fake,
      "beacon.compositeMismatch",
    );
  });

  it("a value holding enc: after its start is a plaintext value like any other", async () => {
    const { fake, doc } = await oneComposite("^c_(.+)$");
    await doc.send(put("abc enc:def", "c_abc enc:def"));
    expect(fake.last().body.Item.gsi3pk.S).toMatch(/^c_[0-9a-f]{4}$/);
  });

  it("a short value that also occurs in the text after the capture is accepted; 6 characters repeated there are refused by the composite rule", async () => {
    const { fake, doc } = await oneComposite("^c_([^#]+)#r_.*$");
    await doc.send(put("us", "c_us#r_us-east-1"));
    expect(fake.last().body.Item.gsi3pk.S).toMatch(/^c_[0-9a-f]{4}#r_us-east-1$/);
    const refused = await oneComposite("^c_([^#]+)#r_.*$");
    await expectRefused(
      refused.doc.send(put("abcdef", "c_abcdef#r_ABCDEF")),
      refused.fake,
      "beacon.compositeMismatch",
    );
  });

  it("with a pattern whose literal prefix cannot be read, an unrelated :value passes the leftover check", async () => {
    const { fake, doc } = await oneComposite("^(?:a|b)#(.+)$");
    await doc.send(
      new QueryCommand({
        TableName: "Users",
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "#s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":pk": "u", ":s": "active" },
      }),
    );
    expect(fake.requests).toHaveLength(1);
  });
});
