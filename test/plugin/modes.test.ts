import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  BatchWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  EncryptionError,
  fieldEncryption,
  type FieldEncryptionConfig,
  type FieldEncryptionEvent,
} from "../../src";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { SAMPLE, setup, USERS, usersConfig } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };

/** A second client on the same fake table, with another config. */
function clientOn(fake: FakeDynamoDB, config: FieldEncryptionConfig): DynamoDBDocumentClient {
  const client = fake.client();
  client.middlewareStack.use(fieldEncryption(config));
  return DynamoDBDocumentClient.from(client);
}

describe("WriteOnly", () => {
  it("encrypts on write and returns the stored ciphertext on read, without decrypting", async () => {
    const { fake, doc: writer } = setup(usersConfig({ mode: "WriteOnly" }));
    await writer.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    const out = await writer.send(new GetCommand({ TableName: "Users", Key: KEY }));
    expect(out.Item!.ssn).toBe(stored.ssn.S);
    expect(out.Item!.card.number).toBe(stored.card.M.number.S);
    expect(out.Item!.name).toBe("Ada");
  });

  it("writing back an item it read stores the ciphertext unchanged, so a ReadWrite reader still gets the plaintext", async () => {
    const { fake, doc: writer } = setup(usersConfig({ mode: "WriteOnly" }));
    await writer.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const first = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    const read = (await writer.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item!;
    await writer.send(new PutCommand({ TableName: "Users", Item: { ...read, name: "Ada L." } }));
    const second = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    expect(second.ssn).toEqual(first.ssn);
    expect(second.addresses).toEqual(first.addresses);
    const reader = clientOn(fake, usersConfig());
    expect((await reader.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item).toEqual({
      ...SAMPLE,
      name: "Ada L.",
    });
  });

  it("a plaintext that merely starts with ENC: is still encrypted", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "ENC:not-a-real-ciphertext" } }),
    );
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    expect(stored.ssn.S).not.toBe("ENC:not-a-real-ciphertext");
    expect(
      await clientOn(fake, usersConfig()).send(new GetCommand({ TableName: "Users", Key: KEY })),
    ).toMatchObject({ Item: { ssn: "ENC:not-a-real-ciphertext" } });
  });
});

describe("ReadOnly", () => {
  it("decrypts on read", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const reader = clientOn(fake, usersConfig({ mode: "ReadOnly" }));
    expect((await reader.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item).toEqual(
      SAMPLE,
    );
    expect(
      (
        await reader.send(
          new QueryCommand({
            TableName: "Users",
            KeyConditionExpression: "pk = :p",
            ExpressionAttributeValues: { ":p": SAMPLE.pk },
          }),
        )
      ).Items,
    ).toEqual([SAMPLE]);
  });

  it.each([
    [
      "PutCommand",
      (doc: DynamoDBDocumentClient) =>
        doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE })),
    ],
    [
      "BatchWriteCommand",
      (doc: DynamoDBDocumentClient) =>
        doc.send(
          new BatchWriteCommand({ RequestItems: { Users: [{ PutRequest: { Item: SAMPLE } }] } }),
        ),
    ],
    [
      "TransactWriteCommand",
      (doc: DynamoDBDocumentClient) =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: { TableName: "Users", Item: { ...KEY, ssn: "x" } } }],
          }),
        ),
    ],
  ])("refuses %s that stores a field, sending nothing", async (_, send) => {
    const { fake, doc } = setup(usersConfig({ mode: "ReadOnly" }));
    const error = await send(doc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("mode.readOnlyWrite");
    expect(fake.requests).toHaveLength(0);
  });

  it("allows writes of items that do not contain its fields", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "ReadOnly" }));
    await doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, name: "x" } }));
    expect(fake.requests).toHaveLength(1);
  });

  it("a field can be ReadOnly while the others are ReadWrite", async () => {
    const { fake, doc } = setup(
      usersConfig({}, { fields: { ssn: { mode: "ReadOnly" }, "card.number": {} } }),
    );
    await doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, card: { number: "1" } } }));
    await expect(
      doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "1" } })),
    ).rejects.toMatchObject({ code: "mode.readOnlyWrite", field: "ssn" });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("legacy plaintext", () => {
  it("values without the ENC: prefix are refused by default (ciphertext.plaintextNotAllowed), whatever their type, and the message says how to allow them during a migration", async () => {
    const { fake, client } = setup();
    for (const ssn of [
      { S: "123-45-6789" },
      { M: { evil: { S: "type confusion" } } },
      { N: "7" },
    ]) {
      fake.tables.get("Users")!.set(JSON.stringify([{ S: "a" }, { S: "b" }]), {
        pk: { S: "a" },
        sk: { S: "b" },
        ssn,
      });
      const error = await client
        .send(new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "b" } } }))
        .then(
          () => undefined,
          (e: unknown) => e as EncryptionError,
        );
      expect(error).toMatchObject({ code: "ciphertext.plaintextNotAllowed", field: "ssn" });
      expect(error!.message).toContain("allowPlaintext: true");
      expect(error!.message).not.toMatch(/123-45-6789|type confusion/);
    }
  });

  it.each([
    [
      "the field",
      usersConfig({}, { fields: { ...USERS.fields, ssn: { allowPlaintext: true } } }),
      1,
    ],
    ["the table", usersConfig({}, { allowPlaintext: true }), 2],
    ["the config", usersConfig({ allowPlaintext: true }), 2],
  ])(
    "allowPlaintext: true on %s returns them as they are, with one plaintext event per value read",
    async (_, config, events) => {
      const seen: FieldEncryptionEvent[] = [];
      const { fake, client } = setup({ ...config, onEvent: (e) => seen.push(e) });
      fake.tables.get("Users")!.set(JSON.stringify([{ S: "a" }, { S: "b" }]), {
        pk: { S: "a" },
        sk: { S: "b" },
        ssn: { S: "123-45-6789" },
        card: { M: { number: { N: "4111" } } },
      });
      const read = () =>
        client.send(
          new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "b" } } }),
        );
      if (events === 1) {
        // card.number still forbids plaintext: only the field that allows it may hold it.
        await expect(read()).rejects.toMatchObject({
          code: "ciphertext.plaintextNotAllowed",
          field: "card.number",
        });
        fake.tables.get("Users")!.get(JSON.stringify([{ S: "a" }, { S: "b" }]))!.card = {
          M: {},
        };
      }
      seen.length = 0;
      const out = await read();
      expect(out.Item!.ssn).toEqual({ S: "123-45-6789" });
      expect(seen.filter((e) => e.type === "plaintext")).toEqual(
        [
          { type: "plaintext", table: "Users", field: "ssn" },
          { type: "plaintext", table: "Users", field: "card.number" },
        ].slice(0, events),
      );
    },
  );

  it.each([
    [
      "the field",
      usersConfig({ allowPlaintext: true }, { fields: { ssn: { allowPlaintext: false } } }),
    ],
    ["the table", usersConfig({ allowPlaintext: true }, { allowPlaintext: false })],
    ["the config", usersConfig({ allowPlaintext: false })],
  ])(
    "allowPlaintext: false on %s overrides a wider true and makes them ciphertext.plaintextNotAllowed",
    async (_, config) => {
      const { fake, client } = setup(config);
      fake.tables.get("Users")!.set(JSON.stringify([{ S: "a" }, { S: "b" }]), {
        pk: { S: "a" },
        sk: { S: "b" },
        ssn: { S: "123-45-6789" },
      });
      const error = await client
        .send(new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "b" } } }))
        .then(
          () => undefined,
          (e: unknown) => e as EncryptionError,
        );
      expect(error).toMatchObject({
        code: "ciphertext.plaintextNotAllowed",
        table: "Users",
        field: "ssn",
      });
      expect(error!.message).not.toContain("123-45-6789");
    },
  );

  it("a plaintext write goes out encrypted whatever allowPlaintext says", async () => {
    const { fake, client } = setup(usersConfig({ allowPlaintext: true }));
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "123-45-6789" } },
      }),
    );
    expect(fake.last().body.Item.ssn.S).toMatch(/^ENC:/);
  });
});
