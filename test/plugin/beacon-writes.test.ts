import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ExecuteStatementCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { createItemEncryptor } from "../../src";
import { expectRefused } from "../support/refused";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";
import { oracleBeacon, unwrapBeaconKey } from "../support/beacon-oracle";

/** The plugin on the beacon config, and the beacons its writes must carry, computed independently. */
async function withOracle() {
  const config = await localBeaconConfig();
  const key = await unwrapBeaconKey(config.keyProvider!, config.beaconKey!);
  return {
    ...(await beaconSetup(config)),
    email: (value: string) =>
      oracleBeacon(key, "Users", "email", { S: value }, 16, ["trim", "lowercase"]),
    phone: (value: string) => oracleBeacon(key, "Users", "profile.phone", { S: value }, 256),
  };
}

const ITEM = {
  pk: "u#1",
  sk: "profile",
  email: "Ada@Example.com",
  profile: { phone: "555-0100" },
  ssn: "123-45-6789",
};
const HEX16 = /^[0-9a-f]{4}$/;
const HEX256 = /^[0-9a-f]{64}$/;

describe("beacons on writes", () => {
  it("Put stores each beacon, the documented HMAC of the normalised value cut to its length, beside the ciphertext, and no plaintext", async () => {
    const { fake, doc, email, phone } = await withOracle();
    const input = structuredClone(ITEM);
    await doc.send(new PutCommand({ TableName: "Users", Item: input }));
    expect(input).toEqual(ITEM);
    const sent = fake.last("PutItem").body.Item;
    expect(sent.email.S).toMatch(/^ENC:/);
    expect(sent.email__beacon.S).toMatch(HEX16);
    expect(sent.email__beacon.S).toBe(email(ITEM.email));
    expect(sent.profile_phone__beacon.S).toMatch(HEX256);
    expect(sent.profile_phone__beacon.S).toBe(phone(ITEM.profile.phone));
    expect(JSON.stringify(sent)).not.toMatch(/Ada@Example|555-0100|123-45-6789/i);
  });

  it("normalisation gives equal beacons to values that differ only in case and spacing", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { ...ITEM, email: "  ada@EXAMPLE.com " } }),
    );
    const [a, b] = fake.requests.map((r) => r.body.Item.email__beacon.S);
    expect(a).toBe(b);
  });

  it("a Put without the field writes no beacon; a NULL field writes none either", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "u#2", sk: "p", email: null } }),
    );
    expect(fake.last().body.Item.email__beacon).toBeUndefined();
    expect(fake.last().body.Item.profile_phone__beacon).toBeUndefined();
  });

  it("a Put of an item read back with its beacons overwrites them from the item's own fields", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const real = fake.last().body.Item.email__beacon.S;
    const got = (
      await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "u#1", sk: "profile" } }))
    ).Item!;
    expect(got.email__beacon).toBe(real);
    const rest: Record<string, unknown> = { ...got, email__beacon: "ffff", nick: "x" };
    delete rest.profile;
    await doc.send(new PutCommand({ TableName: "Users", Item: rest }));
    const sent = fake.last("PutItem").body.Item;
    expect(sent.email__beacon.S).toBe(real);
    expect(sent.profile_phone__beacon).toBeUndefined();
  });

  it("refuses a field value whose type beacons do not cover", async () => {
    const { fake, doc } = await beaconSetup();
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { ...ITEM, email: { x: 1 } } })),
      fake,
      "beacon.unsupportedValue",
    );
  });

  it("UpdateExpression SET field adds the beacon to the same SET clause, and REMOVE removes it", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const putBeacon = fake.last().body.Item.email__beacon.S;
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "profile" },
        UpdateExpression: "SET #e = :e, nick = :n REMOVE profile",
        ExpressionAttributeNames: { "#e": "email" },
        ExpressionAttributeValues: { ":e": "ada@example.com", ":n": "a" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe(
      "SET #dfe_b = :dfe_b, #e = :dfe_v0, nick = :n REMOVE #dfe_b_1, profile",
    );
    expect(wire.ExpressionAttributeNames).toEqual({
      "#e": "email",
      "#dfe_b": "email__beacon",
      "#dfe_b_1": "profile_phone__beacon",
    });
    expect(wire.ExpressionAttributeValues[":dfe_b"].S).toBe(putBeacon);
    expect(JSON.stringify(wire)).not.toContain("ada@example.com");
  });

  it("SET of a parent map sets the beacon of the field inside it, or removes it when the map lacks the field", async () => {
    const { fake, doc, phone } = await withOracle();
    const send = (phone?: string) =>
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "profile" },
          UpdateExpression: "SET profile = :p",
          ExpressionAttributeValues: { ":p": phone ? { phone } : { other: 1 } },
        }),
      );
    await send("555-0100");
    expect(fake.last().body.UpdateExpression).toBe("SET #dfe_b = :dfe_b, profile = :dfe_v0");
    expect(fake.last().body.ExpressionAttributeValues[":dfe_b"].S).toBe(phone("555-0100"));
    await send();
    expect(fake.last().body.UpdateExpression).toBe("SET profile = :dfe_v0 REMOVE #dfe_b");
  });

  it.each([
    ["SET email__beacon = :e", "beacon.attributeWrite"],
    ["REMOVE email__beacon", "beacon.attributeWrite"],
    ["ADD email__beacon :e", "beacon.attributeWrite"],
    ["SET profile = if_not_exists(profile, :e)", "beacon.unsupportedQuery"],
    ["SET email = if_not_exists(email, :e)", "beacon.unsupportedQuery"],
  ])("refuses %s, sending nothing", async (UpdateExpression, code) => {
    const { fake, doc } = await beaconSetup();
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression,
          ExpressionAttributeValues: { ":e": { phone: "1" } },
        }),
      ),
      fake,
      code,
    );
  });

  it("batch and transaction Puts and Updates carry beacons in the same request", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(
      new BatchWriteCommand({ RequestItems: { Users: [{ PutRequest: { Item: ITEM } }] } }),
    );
    const real = fake.last().body.RequestItems.Users[0].PutRequest.Item.email__beacon.S;
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    expect(fake.last().body.Item.email__beacon.S).toBe(real);
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: "Users", Item: { ...ITEM, sk: "b" } } },
          {
            Update: {
              TableName: "Users",
              Key: { pk: "u#1", sk: "c" },
              UpdateExpression: "SET email = :e",
              ExpressionAttributeValues: { ":e": "c@d" },
            },
          },
        ],
      }),
    );
    const [put, update] = fake.last().body.TransactItems;
    expect(put.Put.Item.email__beacon.S).toBe(real);
    expect(update.Update.UpdateExpression).toBe("SET #dfe_b = :dfe_b, email = :dfe_v0");
    await doc.send(new PutCommand({ TableName: "Users", Item: { ...ITEM, email: "c@d" } }));
    expect(update.Update.ExpressionAttributeValues[":dfe_b"].S).toBe(
      fake.last().body.Item.email__beacon.S,
    );
  });

  it("legacy AttributeUpdates PUT and DELETE put and delete the beacon; the PUT's beacon is the value's", async () => {
    const { fake, client, email, phone } = await withOracle();
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: { pk: { S: "u#1" }, sk: { S: "p" } },
        AttributeUpdates: {
          email: { Action: "PUT", Value: { S: " A@b" } },
          profile: { Action: "DELETE" },
        },
      }),
    );
    const updates = fake.last().body.AttributeUpdates;
    expect(updates.email__beacon).toEqual({ Action: "PUT", Value: { S: email("a@b") } });
    expect(updates.email__beacon.Value.S).not.toBe(email(""));
    expect(updates.profile_phone__beacon).toEqual({ Action: "DELETE" });
    // A PUT of the parent map: the beacon of the field inside it.
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: { pk: { S: "u#1" }, sk: { S: "p" } },
        AttributeUpdates: {
          profile: { Action: "PUT", Value: { M: { phone: { S: "555-0199" } } } },
        },
      }),
    );
    expect(fake.last().body.AttributeUpdates.profile_phone__beacon).toEqual({
      Action: "PUT",
      Value: { S: phone("555-0199") },
    });
  });
});

describe("beacons and modes", () => {
  async function withMode(mode: "WriteOnly" | "ReadOnly") {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email!.mode = mode;
    return beaconSetup(config);
  }

  it("a WriteOnly client writes the beacon with the field", async () => {
    const { fake, doc } = await withMode("WriteOnly");
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    expect(fake.last().body.Item.email__beacon.S).toMatch(HEX16);
  });

  it("a ReadOnly client never writes a beacon: its write of the field is refused", async () => {
    const { fake, doc } = await withMode("ReadOnly");
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: ITEM })),
      fake,
      "mode.readOnlyWrite",
    );
  });

  it("a WriteOnly client cannot look up by a truncated beacon, since it cannot remove false positives", async () => {
    const { fake, doc } = await withMode("WriteOnly");
    await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "email = :e",
          ExpressionAttributeValues: { ":e": "a" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
  });
});

describe("beacons kept in step in the corners the review found", () => {
  it("a 256-bit condition and an encrypted SET in one update send the condition's real beacon (F5)", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const phone = fake.last().body.Item.profile_phone__beacon.S;
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "profile" },
        UpdateExpression: "SET email = :n",
        ConditionExpression: "profile.phone = :p",
        ExpressionAttributeValues: { ":n": "new@example.com", ":p": "555-0100" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.ConditionExpression).toBe("#dfe_b = :dfe_b");
    expect(wire.ExpressionAttributeValues[":dfe_b"].S).toBe(phone);
    for (const [name, value] of Object.entries(wire.ExpressionAttributeValues))
      if (name.startsWith(":dfe_b")) expect((value as { S: string }).S).not.toBe("");
  });

  it("a WriteOnly client updating with the stored value it read leaves the beacon alone (F4), and its Put of it is refused (F3)", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email!.mode = "WriteOnly";
    const { fake, doc } = await beaconSetup(config);
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const got = (
      await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "u#1", sk: "profile" } }))
    ).Item!;
    expect(got.email).toMatch(/^ENC:/);
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "profile" },
        UpdateExpression: "SET email = :e, nick = :n",
        ExpressionAttributeValues: { ":e": got.email, ":n": "x" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).not.toContain("#dfe_b");
    fake.requests.length = 0;
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { ...got, nick: "x" } })),
      fake,
      "beacon.unsupportedQuery",
    );
  });

  it("a ReadOnly field loses its beacon with it when its parent map is replaced without it (F17)", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields["profile.phone"]!.mode = "ReadOnly";
    const { fake, doc, client } = await beaconSetup(config);
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "SET profile = :p",
        ExpressionAttributeValues: { ":p": { city: "x" } },
      }),
    );
    expect(fake.last().body.UpdateExpression).toBe("SET profile = :dfe_v0 REMOVE #dfe_b");
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: { pk: { S: "u#1" }, sk: { S: "p" } },
        AttributeUpdates: { profile: { Action: "PUT", Value: { M: { city: { S: "x" } } } } },
      }),
    );
    expect(fake.last().body.AttributeUpdates.profile_phone__beacon).toEqual({ Action: "DELETE" });
  });

  it("a PartiQL INSERT whose ? map parameter holds a beacon attribute is refused (F2)", async () => {
    const { fake, client } = await beaconSetup();
    await expectRefused(
      client.send(
        new ExecuteStatementCommand({
          Statement: "INSERT INTO Users VALUE ?",
          Parameters: [{ M: { pk: { S: "a" }, sk: { S: "b" }, email__beacon: { S: "0000" } } }],
        }),
      ),
      fake,
      "beacon.attributeWrite",
    );
  });
});

describe("beacons from the item API", () => {
  it("encryptItem writes the same beacons as a Put, replacing a stale one the input carries (F12)", async () => {
    const config = await localBeaconConfig();
    const { fake, doc } = await beaconSetup(config);
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const real = fake.last().body.Item.email__beacon.S;
    const encryptor = createItemEncryptor(config, { shape: "native" });
    const stored = await encryptor.encryptItem("Users", { ...ITEM, email__beacon: "0000" });
    expect(stored.email__beacon).toBe(real);
    expect(stored.email).toMatch(/^ENC:/);
  });
});

describe("beacons in the SDK log", () => {
  it("beacon attributes are redacted in logged inputs and outputs, like the fields they belong to", async () => {
    const lines: unknown[] = [];
    const log = (...args: unknown[]) => lines.push(args);
    const { fake, doc } = await beaconSetup(undefined, {
      logger: { trace: log, debug: log, info: log, warn: log, error: log },
    });
    await doc.send(new PutCommand({ TableName: "Users", Item: ITEM }));
    const beacon = fake.last("PutItem").body.Item.email__beacon.S as string;
    await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "u#1", sk: "profile" } }));
    const text = JSON.stringify(lines);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('"email__beacon":"***SensitiveInformation***"');
    expect(text).not.toContain(beacon);
    expect(text).toContain('"sk":"profile"'); // key attributes stay visible for debugging
  });
});
