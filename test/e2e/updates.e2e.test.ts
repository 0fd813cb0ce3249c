import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { useEncryptedTable } from "../support/e2e-setup";

const env = useEncryptedTable("updates", { ssn: {}, "card.number": {}, "addresses[].zip": {} });
const table = env.table;

const BASE = {
  sk: "v",
  name: "Ada",
  ssn: "111-11-1111",
  card: { number: "4000", expiry: "01/29" },
  addresses: [{ zip: "11111", city: "A" }],
};
const SECRETS = /123-45-6789|4111|94107|30301|11111|111-11-1111/;

async function stored(pk: string): Promise<Record<string, any>> {
  return (
    await env.plain.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: "v" } } }),
    )
  ).Item!;
}

async function seed(pk: string) {
  await env.app.doc.send(new PutCommand({ TableName: table, Item: { pk, ...BASE } }));
}

function expectNoPlaintext(item: Record<string, any>) {
  expect(item.ssn?.S ?? "ENC:").toMatch(/^ENC:/);
  expect(item.card?.M.number?.S ?? "ENC:").toMatch(/^ENC:/);
  for (const a of item.addresses?.L ?? []) expect(a.M.zip.S).toMatch(/^ENC:/);
  expect(JSON.stringify(item)).not.toMatch(SECRETS);
}

describe("UpdateItem on DynamoDB Local", () => {
  it.each([
    ["SET ssn = :v", {}, { ":v": "123-45-6789" }, { ssn: "123-45-6789" }],
    [
      "SET #c.#n = :v",
      { "#c": "card", "#n": "number" },
      { ":v": "4111" },
      { card: { number: "4111", expiry: "01/29" } },
    ],
    [
      "SET addresses[0].zip = :v",
      {},
      { ":v": "94107" },
      { addresses: [{ zip: "94107", city: "A" }] },
    ],
    ["SET ssn = if_not_exists(ssn, :v)", {}, { ":v": "123-45-6789" }, { ssn: "111-11-1111" }],
    [
      "SET card = :c",
      {},
      { ":c": { number: "4111", expiry: "02/30" } },
      { card: { number: "4111", expiry: "02/30" } },
    ],
    [
      "SET addresses = :a",
      {},
      { ":a": [{ zip: "94107" }, { zip: "30301" }] },
      { addresses: [{ zip: "94107" }, { zip: "30301" }] },
    ],
    [
      "SET addresses = list_append(addresses, :a)",
      {},
      { ":a": [{ zip: "30301" }] },
      { addresses: [{ zip: "11111", city: "A" }, { zip: "30301" }] },
    ],
    ["SET addresses[0] = :a", {}, { ":a": { zip: "94107" } }, { addresses: [{ zip: "94107" }] }],
    ["REMOVE ssn, card.#n", { "#n": "number" }, {}, { ssn: undefined, card: { expiry: "01/29" } }],
  ])(
    "%s: stored encrypted, read back as written",
    async (UpdateExpression, names, values, expected) => {
      const pk = `u-${UpdateExpression}`;
      await seed(pk);
      const out = await env.app.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: "v" },
          UpdateExpression,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: "ALL_NEW",
        }),
      );
      const raw = await stored(pk);
      expectNoPlaintext(raw);
      const item = { pk, ...BASE, ...expected };
      for (const [k, v] of Object.entries(item))
        if (v === undefined) delete (item as Record<string, unknown>)[k];
      expect(out.Attributes).toEqual(item);
      expect(
        (await env.app.doc.send(new GetCommand({ TableName: table, Key: { pk, sk: "v" } }))).Item,
      ).toEqual(item);
    },
  );

  it("SET ssn = :v, spare = :v is refused (plaintext.copied): the plain attribute would store the secret; nothing changes", async () => {
    await seed("spare");
    const before = await stored("spare");
    await expect(
      env.app.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: "spare", sk: "v" },
          UpdateExpression: "SET ssn = :v, spare = :v",
          ExpressionAttributeValues: { ":v": "123-45-6789" },
        }),
      ),
    ).rejects.toMatchObject({ code: "plaintext.copied", field: "ssn" });
    expect(await stored("spare")).toEqual(before);
  });

  it("ReturnValues UPDATED_NEW and UPDATED_OLD come back decrypted", async () => {
    await seed("returns");
    const newer = await env.app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: "returns", sk: "v" },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": "222-22-2222" },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(newer.Attributes).toEqual({ ssn: "222-22-2222" });
    const older = await env.app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: "returns", sk: "v" },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": "333-33-3333" },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    expect(older.Attributes).toEqual({ ssn: "222-22-2222" });
  });

  it("the low-level client, with a condition on an encrypted field's existence and legacy AttributeUpdates", async () => {
    await seed("low");
    await env.app.client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "low" }, sk: { S: "v" } },
        UpdateExpression: "SET ssn = :v",
        ConditionExpression: "attribute_exists(ssn)",
        ExpressionAttributeValues: { ":v": { S: "123-45-6789" } },
      }),
    );
    expectNoPlaintext(await stored("low"));
    await env.app.client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "low" }, sk: { S: "v" } },
        AttributeUpdates: { card: { Action: "PUT", Value: { M: { number: { S: "4111" } } } } },
      }),
    );
    expectNoPlaintext(await stored("low"));
    const item = (
      await env.app.doc.send(new GetCommand({ TableName: table, Key: { pk: "low", sk: "v" } }))
    ).Item!;
    expect(item).toMatchObject({ ssn: "123-45-6789", card: { number: "4111" } });
  });

  it("a value set by an update is bound to its item: moved to another item it fails", async () => {
    await seed("bound-a");
    await seed("bound-b");
    await env.app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: "bound-a", sk: "v" },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": "123-45-6789" },
      }),
    );
    await env.plain.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "bound-b" }, sk: { S: "v" } },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": (await stored("bound-a")).ssn },
      }),
    );
    await expect(
      env.app.doc.send(new GetCommand({ TableName: table, Key: { pk: "bound-b", sk: "v" } })),
    ).rejects.toMatchObject({ code: "ciphertext.tampered" });
  });

  it("conditions: existence checks on encrypted fields run on DynamoDB; comparisons are refused and change nothing", async () => {
    await seed("cond");
    await env.app.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "cond", ...BASE, name: "Grace" },
        ConditionExpression: "attribute_exists(ssn) AND attribute_type(ssn, :s)",
        ExpressionAttributeValues: { ":s": "S" },
      }),
    );
    expect((await stored("cond")).name).toEqual({ S: "Grace" });
    await expect(
      env.app.doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk: "cond", ...BASE, name: "Other" },
          ConditionExpression: "attribute_not_exists(ssn)",
        }),
      ),
    ).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    const before = await stored("cond");
    const refusedWrites = [
      new PutCommand({
        TableName: table,
        Item: { pk: "cond", ...BASE, name: "X" },
        ConditionExpression: "ssn = :v",
        ExpressionAttributeValues: { ":v": "111-11-1111" },
      }),
      new UpdateCommand({
        TableName: table,
        Key: { pk: "cond", sk: "v" },
        UpdateExpression: "SET #n = :n",
        ConditionExpression: "begins_with(card.#c, :p)",
        ExpressionAttributeNames: { "#n": "name", "#c": "number" },
        ExpressionAttributeValues: { ":n": "X", ":p": "4" },
      }),
    ];
    for (const command of refusedWrites) {
      await expect(env.app.doc.send(command as never)).rejects.toMatchObject({
        code: "expression.unsupportedOnEncrypted",
      });
    }
    expect(await stored("cond")).toEqual(before);
  });
});
