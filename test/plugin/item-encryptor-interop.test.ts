import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  createItemEncryptor,
  fieldEncryption,
  type FieldEncryptionEvent,
  type JsonItem,
} from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { SAMPLE, setup, usersConfig } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };

describe("the item encryptor and the plugin read each other's values", () => {
  it("an item the plugin wrote decrypts with the encryptor (json items, as stored)", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } }) as JsonItem;
    expect(JSON.stringify(stored)).not.toContain("123-45-6789");
    const json = createItemEncryptor(usersConfig(), { shape: "json" });
    const decrypted = await json.decryptItem("Users", stored);
    expect(decrypted.ssn).toEqual({ S: "123-45-6789" });
    expect(decrypted.card).toEqual({
      M: { number: { S: "4111111111111111" }, expiry: { S: "12/30" } },
    });
    expect(decrypted.addresses).toEqual({
      L: [{ M: { zip: { S: "94107" }, city: { S: "SF" } } }, { M: { zip: { S: "10001" } } }],
    });
  });

  it("an item the encryptor encrypted, stored by a client without the plugin, reads back through the plugin", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const plain = fake.client();
    const Item = await createItemEncryptor(usersConfig()).encryptItem("Users", {
      pk: { S: SAMPLE.pk },
      sk: { S: SAMPLE.sk },
      ssn: { S: "123-45-6789" },
      card: { M: { number: { S: "4111111111111111" } } },
    });
    await plain.send(new PutItemCommand({ TableName: "Users", Item }));
    expect(JSON.stringify(fake.last("PutItem").body)).not.toContain("123-45-6789");

    const reader = fake.client();
    reader.middlewareStack.use(fieldEncryption(usersConfig()));
    const { Item: read } = await DynamoDBDocumentClient.from(reader).send(
      new GetCommand({ TableName: "Users", Key: KEY }),
    );
    expect(read).toEqual({ ...KEY, ssn: "123-45-6789", card: { number: "4111111111111111" } });
  });
});

describe("one engine for the plugin and the encryptor", () => {
  const generateDataKeys = (events: FieldEncryptionEvent[]) =>
    events.filter((e) => e.type === "kms" && e.operation === "generateDataKey").length;

  it.each([
    ["encryptor.plugin()", (e: ReturnType<typeof createItemEncryptor>) => e.plugin()],
    [
      "fieldEncryption(encryptor)",
      (e: ReturnType<typeof createItemEncryptor>) => fieldEncryption(e),
    ],
  ])("%s shares the encryptor's data-key cache", async (_name, pluginOf) => {
    const events: FieldEncryptionEvent[] = [];
    const encryptor = createItemEncryptor(
      usersConfig({ onEvent: (e) => events.push(e) }, { fields: { ssn: {} } }),
    );
    await encryptor.encryptItem("Users", { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "x" } });
    expect(generateDataKeys(events)).toBe(1);

    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const client = fake.client();
    client.middlewareStack.use(pluginOf(encryptor));
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "123-45-6789" } }),
    );
    expect(fake.last("PutItem").body.Item.ssn.S).toMatch(/^ENC:/);
    expect(generateDataKeys(events)).toBe(1); // the plugin used the encryptor's cached data key
  });

  it("a plugin from a config has a cache of its own", async () => {
    const events: FieldEncryptionEvent[] = [];
    const config = usersConfig({ onEvent: (e) => events.push(e) }, { fields: { ssn: {} } });
    await createItemEncryptor(config).encryptItem("Users", {
      pk: { S: "a" },
      sk: { S: "b" },
      ssn: { S: "x" },
    });
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const client = fake.client();
    client.middlewareStack.use(fieldEncryption(config));
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "123-45-6789" } }),
    );
    expect(generateDataKeys(events)).toBe(2);
  });
});
