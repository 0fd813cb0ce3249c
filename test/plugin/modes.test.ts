import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  BatchWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption, type FieldEncryptionConfig } from "../../src";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { SAMPLE, setup, usersConfig } from "../support/plugin-setup";

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
  it("values without the ENC: prefix are returned as they are by default", async () => {
    const { fake, client } = setup();
    fake.tables.get("Users")!.set(JSON.stringify([{ S: "a" }, { S: "b" }]), {
      pk: { S: "a" },
      sk: { S: "b" },
      ssn: { S: "123-45-6789" },
      card: { M: { number: { N: "4111" } } },
    });
    const out = await client.send(
      new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "b" } } }),
    );
    expect(out.Item).toEqual({
      pk: { S: "a" },
      sk: { S: "b" },
      ssn: { S: "123-45-6789" },
      card: { M: { number: { N: "4111" } } },
    });
  });

  it.each([
    ["the field", usersConfig({}, { fields: { ssn: { allowPlaintext: false } } })],
    ["the table", usersConfig({}, { allowPlaintext: false })],
    ["the config", usersConfig({ allowPlaintext: false })],
  ])("allowPlaintext: false on %s makes them ciphertext.plaintextNotAllowed", async (_, config) => {
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
  });

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
