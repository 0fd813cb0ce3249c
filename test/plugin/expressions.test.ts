import {
  GetItemCommand,
  QueryCommand as LowQueryCommand,
  ScanCommand as LowScanCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { fieldEncryption } from "../../src";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { expectRefused } from "../support/refused";
import { SAMPLE, setup, USERS, usersConfig } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };
const WIRE_KEY = { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } };
const SLOT = JSON.stringify([WIRE_KEY.pk, WIRE_KEY.sk]);

const refused = (
  promise: Promise<unknown>,
  fake: FakeDynamoDB,
  code = "expression.unsupportedOnEncrypted",
) => expectRefused(promise, fake, code);

/** Reads `stored` back through the plugin as if DynamoDB had applied the update, proving the value is bound to this item and field. */
async function readBack(
  fake: FakeDynamoDB,
  client: ReturnType<typeof setup>["client"],
  stored: Record<string, unknown>,
) {
  fake.tables.get("Users")!.set(SLOT, { ...WIRE_KEY, ...stored });
  return (await client.send(new GetItemCommand({ TableName: "Users", Key: WIRE_KEY }))).Item!;
}

describe("UpdateItem on encrypted fields", () => {
  it("SET field = :v encrypts :v, bound to the request's Key, and leaves the caller's input alone", async () => {
    const { fake, doc, client } = setup();
    const input = {
      TableName: "Users",
      Key: KEY,
      UpdateExpression: "SET ssn = :v",
      ExpressionAttributeValues: { ":v": "123-45-6789" },
    };
    const copy = structuredClone(input);
    await doc.send(new UpdateCommand(input));
    expect(input).toEqual(copy);
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe("SET ssn = :dfe_v0");
    expect(Object.keys(wire.ExpressionAttributeValues)).toEqual([":dfe_v0"]);
    expect(wire.ExpressionAttributeValues[":dfe_v0"].S).toMatch(/^ENC:/);
    expect(
      await readBack(fake, client, { ssn: wire.ExpressionAttributeValues[":dfe_v0"] }),
    ).toMatchObject({ ssn: { S: "123-45-6789" } });
  });

  it.each([
    [
      "#a.#b = :v",
      { "#a": "card", "#b": "number" },
      (v: any) => ({ card: { M: { number: v } } }),
      { card: { M: { number: { S: "4111" } } } },
    ],
    [
      "addresses[2].zip = :v",
      undefined,
      (v: any) => ({ addresses: { L: [{ M: { zip: v } }] } }),
      { addresses: { L: [{ M: { zip: { S: "4111" } } }] } },
    ],
    ["ssn = if_not_exists(ssn, :v)", undefined, (v: any) => ({ ssn: v }), { ssn: { S: "4111" } }],
  ])("SET %s encrypts the value for that field", async (action, names, place, expected) => {
    const { fake, doc, client } = setup();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: `SET ${action}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":v": "4111" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe(`SET ${action.replace(":v", ":dfe_v0")}`);
    const encrypted = wire.ExpressionAttributeValues[":dfe_v0"];
    expect(encrypted.S).toMatch(/^ENC:/);
    expect(await readBack(fake, client, place(encrypted))).toMatchObject(expected);
  });

  it("SET parent = :map encrypts the fields inside the map, and SET list = :list each element's field", async () => {
    const { fake, doc, client } = setup();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET card = :c, addresses = :a",
        ExpressionAttributeValues: { ":c": SAMPLE.card, ":a": SAMPLE.addresses },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    const card = wire.ExpressionAttributeValues[":dfe_v0"];
    const addresses = wire.ExpressionAttributeValues[":dfe_v1"];
    expect(card.M.number.S).toMatch(/^ENC:/);
    expect(card.M.expiry).toEqual({ S: "12/30" });
    expect(addresses.L.map((a: any) => a.M.zip.S.slice(0, 4))).toEqual(["ENC:", "ENC:"]);
    expect(JSON.stringify(wire)).not.toMatch(/4111111111111111|94107|10001/);
    const item = await readBack(fake, client, { card, addresses });
    expect(item.card).toEqual({ M: { number: { S: SAMPLE.card.number }, expiry: { S: "12/30" } } });
    expect(item.addresses!.L![0]).toEqual({ M: { zip: { S: "94107" }, city: { S: "SF" } } });
  });

  it("SET list = list_append(list, :new) encrypts the new elements' fields", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET addresses = list_append(addresses, :new)",
        ExpressionAttributeValues: { ":new": [{ zip: "30301" }] },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe("SET addresses = list_append(addresses, :dfe_v0)");
    expect(wire.ExpressionAttributeValues[":dfe_v0"].L[0].M.zip.S).toMatch(/^ENC:/);
  });

  it.each([
    [
      "ElectroDB's append",
      "SET #addresses = list_append(if_not_exists(#addresses, :default), :new)",
      "SET #addresses = list_append(if_not_exists(#addresses, :dfe_v0), :dfe_v1)",
    ],
    [
      "dynamodb-toolbox's $prepend",
      "SET #addresses = list_append(:new, if_not_exists(#addresses, :default))",
      "SET #addresses = list_append(:dfe_v0, if_not_exists(#addresses, :dfe_v1))",
    ],
    [
      "if_not_exists around list_append",
      "SET #addresses = if_not_exists(#addresses, list_append(:default, :new))",
      "SET #addresses = if_not_exists(#addresses, list_append(:dfe_v0, :dfe_v1))",
    ],
  ])(
    "%s on a list of encrypted elements encrypts every element of each :value, bound to this item",
    async (_, UpdateExpression, rewritten) => {
      const { fake, doc, client } = setup();
      const input = {
        TableName: "Users",
        Key: KEY,
        UpdateExpression,
        ExpressionAttributeNames: { "#addresses": "addresses" },
        ExpressionAttributeValues: {
          ":default": [{ zip: "94107", city: "SF" }],
          ":new": [{ zip: "10001" }, { zip: "30301" }],
        },
      };
      const copy = structuredClone(input);
      await doc.send(new UpdateCommand(input));
      expect(input).toEqual(copy);
      const wire = fake.last("UpdateItem").body;
      expect(wire.UpdateExpression).toBe(rewritten);
      expect(Object.keys(wire.ExpressionAttributeValues).sort()).toEqual([":dfe_v0", ":dfe_v1"]);
      expect(JSON.stringify(wire)).not.toMatch(/94107|10001|30301/);
      const elements = [
        ...wire.ExpressionAttributeValues[":dfe_v0"].L,
        ...wire.ExpressionAttributeValues[":dfe_v1"].L,
      ];
      for (const e of elements) expect(e.M.zip.S).toMatch(/^ENC:/);
      const item = await readBack(fake, client, { addresses: { L: elements } });
      expect(item.addresses!.L!.map((a: any) => a.M.zip.S).sort()).toEqual([
        "10001",
        "30301",
        "94107",
      ]);
    },
  );

  it("list_append and if_not_exists nest on a whole-element encrypted list inside a map, and in an encrypted field's if_not_exists", async () => {
    const { fake, doc, client } = setup(
      usersConfig({}, { fields: { ssn: {}, "profile.phones[]": {} } }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression:
          "SET profile.phones = list_append(list_append(if_not_exists(profile.phones, :none), :a), profile.phones), ssn = if_not_exists(ssn, if_not_exists(ssn, :s))",
        ExpressionAttributeValues: { ":none": [], ":a": ["555-0100"], ":s": "123-45-6789" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe(
      "SET profile.phones = list_append(list_append(if_not_exists(profile.phones, :dfe_v0), :dfe_v1), profile.phones), ssn = if_not_exists(ssn, if_not_exists(ssn, :dfe_v2))",
    );
    expect(wire.ExpressionAttributeValues[":dfe_v0"]).toEqual({ L: [] });
    const phone = wire.ExpressionAttributeValues[":dfe_v1"].L[0];
    const ssn = wire.ExpressionAttributeValues[":dfe_v2"];
    expect(phone.S).toMatch(/^ENC:/);
    expect(ssn.S).toMatch(/^ENC:/);
    expect(
      await readBack(fake, client, { profile: { M: { phones: { L: [phone] } } }, ssn }),
    ).toMatchObject({
      profile: { M: { phones: { L: [{ S: "555-0100" }] } } },
      ssn: { S: "123-45-6789" },
    });
  });

  it.each([
    [
      "if_not_exists of another path inside list_append",
      "SET addresses = list_append(if_not_exists(other, :v), :v)",
    ],
    [
      "list_append of another path",
      "SET addresses = list_append(if_not_exists(addresses, :v), other)",
    ],
    [
      "list_append of one element of the target",
      "SET addresses = list_append(addresses, addresses[0])",
    ],
    [
      "list_append on an element that holds encrypted fields",
      "SET addresses[0] = list_append(addresses[0], :v)",
    ],
    [
      "list_append on a map that holds an encrypted field",
      "SET card = list_append(if_not_exists(card, :v), :v)",
    ],
    [
      "list_append nested in an encrypted field's if_not_exists",
      "SET ssn = if_not_exists(ssn, list_append(ssn, :v))",
    ],
    ["arithmetic nested in list_append", "SET addresses = list_append(addresses, :v + :v)"],
    ["the target alone, a copy of itself", "SET addresses = addresses"],
  ])(
    "refuses %s on a path that is or holds an encrypted field, sending nothing",
    async (_, UpdateExpression) => {
      const { fake, doc } = setup();
      await refused(
        doc.send(
          new UpdateCommand({
            TableName: "Users",
            Key: KEY,
            UpdateExpression,
            ExpressionAttributeValues: { ":v": [{ zip: "94107" }] },
          }),
        ),
        fake,
      );
    },
  );

  it("a :value also used elsewhere is refused by the copy guard: the other use would send the plaintext", async () => {
    const { fake, doc } = setup();
    const error = await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression: "SET ssn = :v, backup = :v",
          ExpressionAttributeValues: { ":v": "123-45-6789" },
        }),
      ),
      fake,
      "plaintext.copied",
    );
    expect(error.field).toBe("ssn");
    expect(error.attribute).toBe('ExpressionAttributeValues[":v"]');
  });

  it("with the field's copy guard off, a :value also used elsewhere is split: the encrypted path gets its own copy, the other use keeps the plaintext", async () => {
    const { fake, doc } = setup(
      usersConfig({}, { fields: { ...USERS.fields, ssn: { copyGuard: false } } }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v, backup = :v",
        ConditionExpression: "#n <> :v",
        ExpressionAttributeNames: { "#n": "name" },
        ExpressionAttributeValues: { ":v": "123-45-6789" },
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe("SET ssn = :dfe_v0, backup = :v");
    expect(wire.ConditionExpression).toBe("#n <> :v");
    expect(wire.ExpressionAttributeValues[":v"]).toEqual({ S: "123-45-6789" });
    expect(wire.ExpressionAttributeValues[":dfe_v0"].S).toMatch(/^ENC:/);
  });

  it("the same :value written to two encrypted fields is encrypted once for each", async () => {
    const { fake, doc, client } = setup(usersConfig({}, { fields: { ssn: {}, taxId: {} } }));
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v, taxId = :v",
        ExpressionAttributeValues: { ":v": "1" },
      }),
    );
    const values = fake.last("UpdateItem").body.ExpressionAttributeValues;
    expect(Object.keys(values)).toEqual([":dfe_v0", ":dfe_v1"]);
    expect(
      await readBack(fake, client, { ssn: values[":dfe_v0"], taxId: values[":dfe_v1"] }),
    ).toMatchObject({ ssn: { S: "1" }, taxId: { S: "1" } });
  });

  it("REMOVE of an encrypted field passes, and so do updates of other attributes", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "REMOVE ssn, card.#n, addresses[0] SET #x = :x ADD visits :one",
        ExpressionAttributeNames: { "#n": "number", "#x": "name" },
        ExpressionAttributeValues: { ":x": "Ada", ":one": 1 },
      }),
    );
    expect(fake.last("UpdateItem").body.UpdateExpression).toBe(
      "REMOVE ssn, card.#n, addresses[0] SET #x = :x ADD visits :one",
    );
  });

  it.each([
    ["arithmetic on an encrypted field", "SET ssn = ssn + :v"],
    ["list_append on an encrypted field", "SET ssn = list_append(ssn, :v)"],
    ["ADD to an encrypted field", "ADD ssn :v"],
    ["DELETE from an encrypted field", "DELETE ssn :v"],
    ["a copy of an encrypted field to another path", "SET other = ssn"],
    ["a copy from another path into an encrypted field", "SET ssn = other"],
    ["a copy between encrypted fields", "SET ssn = card.#n"],
    ["if_not_exists reading another path", "SET ssn = if_not_exists(other, :v)"],
    ["a path inside an encrypted value", "SET ssn.part = :v"],
    ["REMOVE inside an encrypted value", "REMOVE card.#n.x"],
    ["arithmetic reading an encrypted field", "SET other = ssn + :v"],
    ["a map holding encrypted fields set from another path", "SET card = other"],
    ["an unparsable expression", "SET ssn = = :v"],
    ["an undefined :value", "SET ssn = :missing"],
  ])("refuses %s, sending nothing", async (_, UpdateExpression) => {
    const { fake, doc } = setup();
    const names = UpdateExpression.includes("#n") ? { "#n": "number" } : undefined;
    const values = UpdateExpression.includes(":v") ? { ":v": "123-45-6789" } : undefined;
    await refused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
      fake,
    );
  });

  it("a ReadOnly field cannot be SET but can be REMOVEd", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "ReadOnly" }));
    await refused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression: "SET ssn = :v",
          ExpressionAttributeValues: { ":v": "1" },
        }),
      ),
      fake,
      "mode.readOnlyWrite",
    );
    await refused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression: "SET card = :c",
          ExpressionAttributeValues: { ":c": { number: "1" } },
        }),
      ),
      fake,
      "mode.readOnlyWrite",
    );
    await doc.send(
      new UpdateCommand({ TableName: "Users", Key: KEY, UpdateExpression: "REMOVE ssn" }),
    );
    expect(fake.requests).toHaveLength(1);
  });

  it("a WriteOnly client setting a value it read (the ciphertext) stores it unchanged", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const read = await doc.send(new GetCommand({ TableName: "Users", Key: KEY }));
    const stored = read.Item!.ssn as string;
    expect(stored).toBe(fake.stored("Users", WIRE_KEY)!.ssn.S);
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": stored },
      }),
    );
    expect(fake.last("UpdateItem").body.ExpressionAttributeValues[":dfe_v0"]).toEqual({
      S: stored,
    });
  });

  it("a WriteOnly client setting a ciphertext it never read (from the store directly) encrypts it as a new string", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const planted = fake.stored("Users", WIRE_KEY)!.ssn.S as string;
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": planted },
      }),
    );
    const sent = fake.last("UpdateItem").body.ExpressionAttributeValues[":dfe_v0"] as { S: string };
    expect(sent.S).toMatch(/^ENC:/);
    expect(sent.S).not.toBe(planted);
    // A ReadWrite reader gets back the text that was submitted, not the value it once encrypted.
    fake.stored("Users", WIRE_KEY)!.ssn = sent;
    const readerClient = fake.client();
    readerClient.middlewareStack.use(fieldEncryption(usersConfig()));
    const reader = DynamoDBDocumentClient.from(readerClient);
    const back = await reader.send(new GetCommand({ TableName: "Users", Key: KEY }));
    expect(back.Item!.ssn).toBe(planted);
  });

  it("an update without the item key cannot be bound and is refused", async () => {
    const { fake, client } = setup();
    await refused(
      client.send(
        new UpdateItemCommand({
          TableName: "Users",
          Key: { pk: { S: "a" } },
          UpdateExpression: "SET ssn = :v",
          ExpressionAttributeValues: { ":v": { S: "1" } },
        }),
      ),
      fake,
      "item.keyMissing",
    );
  });

  it.each(["UPDATED_NEW", "UPDATED_OLD", "ALL_NEW", "ALL_OLD"])(
    "ReturnValues %s comes back decrypted (bound through the request's Key)",
    async (ReturnValues) => {
      const { fake, doc } = setup();
      fake.override = (request) => {
        if (request.operation !== "UpdateItem") return undefined;
        return {
          status: 200,
          body: { Attributes: { ssn: request.body.ExpressionAttributeValues[":dfe_v0"] } },
        };
      };
      const out = await doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression: "SET ssn = :v",
          ExpressionAttributeValues: { ":v": "123-45-6789" },
          ReturnValues: ReturnValues as "ALL_NEW",
        }),
      );
      expect(out.Attributes).toEqual({ ssn: "123-45-6789" });
    },
  );

  it("an Update in a transaction is handled the same way", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: "Users",
              Key: KEY,
              UpdateExpression: "SET ssn = :v",
              ExpressionAttributeValues: { ":v": "123-45-6789" },
            },
          },
        ],
      }),
    );
    const update = fake.last("TransactWriteItems").body.TransactItems[0].Update;
    expect(update.UpdateExpression).toBe("SET ssn = :dfe_v0");
    expect(update.ExpressionAttributeValues[":dfe_v0"].S).toMatch(/^ENC:/);
  });
});

describe("legacy AttributeUpdates", () => {
  it("PUT of an encrypted attribute, or of a map holding one, is encrypted; DELETE of it passes", async () => {
    const { fake, client } = setup();
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: WIRE_KEY,
        AttributeUpdates: {
          ssn: { Action: "PUT", Value: { S: "123-45-6789" } },
          card: { Value: { M: { number: { S: "4111" } } } },
          addresses: { Action: "DELETE" },
          name: { Action: "PUT", Value: { S: "Ada" } },
        },
      }),
    );
    const updates = fake.last("UpdateItem").body.AttributeUpdates;
    expect(updates.ssn.Value.S).toMatch(/^ENC:/);
    expect(updates.card.Value.M.number.S).toMatch(/^ENC:/);
    expect(updates.name.Value).toEqual({ S: "Ada" });
  });

  it.each([
    ["ADD", { ssn: { Action: "ADD", Value: { N: "1" } } }],
    ["DELETE of set elements", { ssn: { Action: "DELETE", Value: { SS: ["a"] } } }],
  ])("%s on an encrypted attribute is refused", async (_, AttributeUpdates) => {
    const { fake, client } = setup();
    await refused(
      client.send(
        new UpdateItemCommand({
          TableName: "Users",
          Key: WIRE_KEY,
          AttributeUpdates: AttributeUpdates as never,
        }),
      ),
      fake,
    );
  });
});

describe("conditions, filters and key conditions", () => {
  it.each([
    "attribute_exists(ssn)",
    "attribute_not_exists(card.#n)",
    "attribute_type(ssn, :t)",
    "size(addresses) > :n",
    "attribute_exists(addresses[1].zip) AND NOT (#x = :x)",
  ])("allows %s", async (ConditionExpression) => {
    const { fake, doc } = setup();
    const names = {
      ...(ConditionExpression.includes("#n") ? { "#n": "number" } : {}),
      ...(ConditionExpression.includes("#x") ? { "#x": "name" } : {}),
    };
    const values = {
      ...(ConditionExpression.includes(":t") ? { ":t": "S" } : {}),
      ...(ConditionExpression.includes(":n") ? { ":n": 1 } : {}),
      ...(ConditionExpression.includes(":x") ? { ":x": "x" } : {}),
    };
    await doc.send(
      new DeleteCommand({
        TableName: "Users",
        Key: KEY,
        ConditionExpression,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      }),
    );
    expect(fake.last("DeleteItem").body.ConditionExpression).toBe(ConditionExpression);
  });

  it.each([
    "ssn = :v",
    ":v <> ssn",
    "ssn < :v",
    "ssn BETWEEN :v AND :w",
    "ssn IN (:v, :w)",
    "begins_with(ssn, :v)",
    "contains(addresses, :v)",
    "size(ssn) > :v",
    "card = :v",
    "addresses[0].zip = :v",
    "#x = :v OR NOT ssn = :w",
    "attribute_exists(ssn.inner)",
  ])("refuses %s, pointing to beacons", async (ConditionExpression) => {
    const { fake, doc } = setup();
    const error = await refused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: SAMPLE,
          ConditionExpression,
          ...(ConditionExpression.includes("#x")
            ? { ExpressionAttributeNames: { "#x": "name" } }
            : {}),
          ExpressionAttributeValues: {
            ":v": "123-45-6789",
            ...(ConditionExpression.includes(":w") ? { ":w": "x" } : {}),
          },
        }),
      ),
      fake,
    );
    expect(error.message).toMatch(/field with a beacon.*searchable-encryption\.md/);
  });

  it("refuses filters on encrypted fields in Query and Scan, and key conditions on an encrypted index key", async () => {
    const { fake, doc } = setup();
    await refused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          KeyConditionExpression: "pk = :p",
          FilterExpression: "ssn = :s",
          ExpressionAttributeValues: { ":p": "x", ":s": "1" },
        }),
      ),
      fake,
    );
    await refused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "contains(card.#n, :s)",
          ExpressionAttributeNames: { "#n": "number" },
          ExpressionAttributeValues: { ":s": "1" },
        }),
      ),
      fake,
    );
    await refused(
      doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "by-ssn",
          KeyConditionExpression: "ssn = :s",
          ExpressionAttributeValues: { ":s": "1" },
        }),
      ),
      fake,
    );
  });

  it("filters on other attributes pass", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "attribute_exists(ssn) AND card.expiry = :e",
        ExpressionAttributeValues: { ":e": "12/30" },
      }),
    );
    expect(fake.requests).toHaveLength(1);
  });

  it("legacy Expected, QueryFilter and ScanFilter allow existence checks only", async () => {
    const { fake, client } = setup();
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: WIRE_KEY,
        Expected: { ssn: { Exists: false } },
      }),
    );
    await client.send(
      new LowScanCommand({
        TableName: "Users",
        ScanFilter: {
          ssn: { ComparisonOperator: "NOT_NULL" },
          name: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "Ada" }] },
        },
      }),
    );
    await client.send(
      new LowQueryCommand({
        TableName: "Users",
        KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "a" }] } },
        QueryFilter: { card: { ComparisonOperator: "NULL" } },
      }),
    );
    expect(fake.requests).toHaveLength(3);
    fake.requests.length = 0;
    await refused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: WIRE_KEY,
          Expected: { ssn: { Value: { S: "1" } } },
        }),
      ),
      fake,
    );
    await refused(
      client.send(
        new LowScanCommand({
          TableName: "Users",
          ScanFilter: { ssn: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "1" }] } },
        }),
      ),
      fake,
    );
    await refused(
      client.send(
        new LowQueryCommand({
          TableName: "Users",
          KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "a" }] } },
          QueryFilter: {
            card: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [{ S: "1" }] },
          },
        }),
      ),
      fake,
    );
  });
});
