import { ExecuteStatementCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { expectRefused } from "../support/refused";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

const PEOPLE = [
  { pk: "u#1", sk: "p", email: "ada@example.com", profile: { phone: "1" } },
  { pk: "u#2", sk: "p", email: "bob@example.com", profile: { phone: "2" } },
  { pk: "u#3", sk: "p", email: "ADA@example.com ", profile: { phone: "3" } },
];

/** The fake returns every stored item for any Query or Scan, so every other item is a false positive the plugin must remove. */
async function withPeople() {
  const ctx = await beaconSetup();
  for (const Item of PEOPLE) await ctx.doc.send(new PutCommand({ TableName: "Users", Item }));
  ctx.fake.requests.length = 0;
  return ctx;
}

describe("beacon lookups", () => {
  it("rewrites a key condition on the declared index to the beacon, sends no plaintext, and removes false positives", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new QueryCommand({
        TableName: "Users",
        IndexName: "email-index",
        KeyConditionExpression: "#e = :e",
        ExpressionAttributeNames: { "#e": "email" },
        ExpressionAttributeValues: { ":e": "Ada@Example.com" },
      }),
    );
    const wire = fake.last("Query").body;
    expect(wire.KeyConditionExpression).toBe("#dfe_b = :dfe_b");
    expect(wire.ExpressionAttributeNames).toEqual({ "#dfe_b": "email__beacon" });
    expect(Object.keys(wire.ExpressionAttributeValues)).toEqual([":dfe_b"]);
    expect(JSON.stringify(wire)).not.toMatch(/ada@/i);
    expect(out.Items!.map((i) => i.pk).sort()).toEqual(["u#1", "u#3"]);
    expect(out.Count).toBe(2);
    expect(out.ScannedCount).toBe(3);
  });

  it("rewrites FilterExpression IN and keeps other terms; false positives leave Items and Count", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "email IN (:a, :b) AND attribute_exists(pk)",
        ExpressionAttributeValues: { ":a": "bob@example.com", ":b": "nobody@example.com" },
      }),
    );
    expect(fake.last().body.FilterExpression).toBe(
      "#dfe_b IN (:dfe_b, :dfe_b_1) AND attribute_exists(pk)",
    );
    expect(out.Items!.map((i) => i.pk)).toEqual(["u#2"]);
    expect(out.Count).toBe(1);
  });

  it("adds the searched field to a projection that lacks it, and removes it from the items", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "email = :e",
        ProjectionExpression: "pk",
        ExpressionAttributeValues: { ":e": "bob@example.com" },
      }),
    );
    expect(fake.last().body.ProjectionExpression).toMatch(/^pk, #dfe_m0/);
    expect(out.Items).toEqual([{ pk: "u#2" }]);
  });

  it("a 256-bit beacon is exact: a ConditionExpression equality is rewritten", async () => {
    const { fake, doc } = await withPeople();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "SET nick = :n",
        ConditionExpression: "profile.phone = :p",
        ExpressionAttributeValues: { ":n": "a", ":p": "1" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.ConditionExpression).toBe("#dfe_b = :dfe_b");
    expect(wire.ExpressionAttributeValues[":dfe_b"].S).toMatch(/^[0-9a-f]{64}$/);
    expect(wire.ExpressionAttributeValues[":p"]).toBeUndefined();
  });

  it.each([
    [
      "a key condition without IndexName",
      { KeyConditionExpression: "email = :e" },
      "beacon.indexRequired",
    ],
    [
      "a key condition on another index",
      { IndexName: "other", KeyConditionExpression: "email = :e" },
      "beacon.indexRequired",
    ],
    [
      "a term under OR",
      { KeyConditionExpression: "pk = :e", FilterExpression: "email = :e OR pk = :e" },
      "beacon.unsupportedQuery",
    ],
    [
      "a term under NOT",
      { KeyConditionExpression: "pk = :e", FilterExpression: "NOT email = :e" },
      "beacon.unsupportedQuery",
    ],
    [
      "begins_with",
      { KeyConditionExpression: "pk = :e", FilterExpression: "begins_with(email, :e)" },
      "beacon.unsupportedQuery",
    ],
    [
      "a range",
      { KeyConditionExpression: "pk = :e", FilterExpression: "email > :e" },
      "beacon.unsupportedQuery",
    ],
    [
      "a comparison with another path",
      { KeyConditionExpression: "pk = :e", FilterExpression: "email = pk" },
      "beacon.unsupportedQuery",
    ],
    [
      "Select COUNT",
      { KeyConditionExpression: "pk = :e", FilterExpression: "email = :e", Select: "COUNT" },
      "beacon.unsupportedQuery",
    ],
    [
      "size of the field",
      { KeyConditionExpression: "pk = :e", FilterExpression: "size(email) > :e" },
      "expression.unsupportedOnEncrypted",
    ],
    [
      "equality on a field without a beacon",
      { KeyConditionExpression: "pk = :e", FilterExpression: "ssn = :e" },
      "expression.unsupportedOnEncrypted",
    ],
  ])("refuses %s, sending nothing", async (_, input, code) => {
    const { fake, doc } = await beaconSetup();
    await expectRefused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          ExpressionAttributeValues: { ":e": "x" },
          ...(input as object),
        }),
      ),
      fake,
      code,
    );
  });

  it("refuses a ConditionExpression equality on a truncated beacon, which a collision could pass", async () => {
    const { fake, doc } = await beaconSetup();
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: PEOPLE[0],
          ConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":e": "x" },
        }),
      ),
      fake,
      "beacon.conditionNotExact",
    );
  });
});

describe("lookups that meet stale beacons, projections and normalisation", () => {
  it("at 256 bits too, an item whose decrypted value differs (a stale beacon) is not returned (F14)", async () => {
    const { fake, doc } = await withPeople();
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "profile.phone = :p",
        ExpressionAttributeValues: { ":p": "2" },
      }),
    );
    expect(fake.last().body.FilterExpression).toBe("#dfe_b = :dfe_b");
    expect(out.Items!.map((i) => i.pk)).toEqual(["u#2"]);
    expect(out.Count).toBe(1);
  });

  it("an item with the beacon but without the field is left out, not a failure of the whole page (F7)", async () => {
    const { fake, doc } = await withPeople();
    const beacon = fake.stored("Users", { pk: { S: "u#1" }, sk: { S: "p" } })!.email__beacon;
    await fake.client().send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "u#9" }, sk: { S: "p" }, email__beacon: beacon! },
      }),
    );
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "email = :e",
        ExpressionAttributeValues: { ":e": "ada@example.com" },
      }),
    );
    expect(out.Items!.map((i) => i.pk).sort()).toEqual(["u#1", "u#3"]);
  });

  it("a page of only items with the beacon but without the field comes back empty, though nothing on it was decrypted", async () => {
    const { fake } = await withPeople();
    const beacon = fake.stored("Users", { pk: { S: "u#1" }, sk: { S: "p" } })!.email__beacon;
    const orphans = await beaconSetup();
    for (const pk of ["u#8", "u#9"])
      await orphans.fake.client().send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: pk }, sk: { S: "p" }, email__beacon: beacon! },
        }),
      );
    const out = await orphans.doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "email = :e",
        ExpressionAttributeValues: { ":e": "ada@example.com" },
      }),
    );
    expect(out.Items).toEqual([]);
    expect(out.Count).toBe(0);
    expect(out.ScannedCount).toBe(2);
  });

  it("refuses a projection of a sibling of the compared nested field under the same map (F8)", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields["profile.phone"] = { beacon: { length: 16 } };
    const { fake, doc } = await beaconSetup(config);
    await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "profile.phone = :p",
          ProjectionExpression: "pk, sk, profile.city",
          ExpressionAttributeValues: { ":p": "1" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("refuses a condition on a 256-bit beacon that is normalised, since it would ignore case (F11)", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = { beacon: { length: 256, normalize: "lowercase" } };
    const { fake, doc } = await beaconSetup(config);
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET nick = :n",
          ConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":n": "x", ":e": "a@b" },
        }),
      ),
      fake,
      "beacon.conditionNotExact",
    );
  });
});

describe("PartiQL on a table with beacons", () => {
  it.each([
    [`INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'email__beacon': ?}`, 3, "beacon.attributeWrite"],
    [`UPDATE Users SET email__beacon = ? WHERE pk = ? AND sk = ?`, 3, "beacon.attributeWrite"],
    [`SELECT * FROM Users WHERE email = ? OR pk = ?`, 2, "beacon.unsupportedQuery"],
  ])("refuses %s, sending nothing", async (Statement, n, code) => {
    const { fake, client } = await beaconSetup();
    await expectRefused(
      client.send(
        new ExecuteStatementCommand({
          Statement,
          Parameters: Array.from({ length: n }, () => ({ S: "x" })),
        }),
      ),
      fake,
      code,
    );
  });

  it("lets statements that do not write beaconed fields through", async () => {
    const { fake, client } = await beaconSetup();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO Users VALUE {'pk': ?, 'sk': ?, 'ssn': ?}`,
        Parameters: [{ S: "a" }, { S: "b" }, { S: "123" }],
      }),
    );
    expect(fake.last().body.Parameters[2].S).toMatch(/^ENC:/);
  });
});
