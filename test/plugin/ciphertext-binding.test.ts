import { GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EncryptionError, fieldEncryption } from "../../src";
import type { TableOptions } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { setup, usersConfig } from "../support/plugin-setup";

const key = (pk: string, sk = "s") => ({ pk: { S: pk }, sk: { S: sk } });
const slot = (pk: string, sk = "s") => JSON.stringify([{ S: pk }, { S: sk }]);

async function put(
  client: DynamoDBClient,
  item: Record<string, any>,
  table = "Users",
): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
}

async function readError(
  client: DynamoDBClient,
  k: Record<string, any>,
  table = "Users",
): Promise<EncryptionError> {
  const error = await client.send(new GetItemCommand({ TableName: table, Key: k })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

describe("a ciphertext is bound to its table, item and field", () => {
  it("copied to another item, it fails with ciphertext.tampered", async () => {
    const { fake, client } = setup();
    await put(client, { ...key("a"), ssn: { S: "111-11-1111" } });
    await put(client, { ...key("b"), ssn: { S: "222-22-2222" } });
    const users = fake.tables.get("Users")!;
    users.get(slot("b"))!.ssn = users.get(slot("a"))!.ssn;
    const error = await readError(client, key("b"));
    expect(error).toMatchObject({ code: "ciphertext.tampered", table: "Users", field: "ssn" });
    expect(error.message).not.toMatch(/111-11-1111|222-22-2222/);
  });

  it("copied to an item with the same partition key and another sort key, it fails", async () => {
    const { fake, client } = setup();
    await put(client, { ...key("a", "1"), ssn: { S: "x" } });
    await put(client, { ...key("a", "2"), ssn: { S: "y" } });
    const users = fake.tables.get("Users")!;
    users.get(slot("a", "2"))!.ssn = users.get(slot("a", "1"))!.ssn;
    expect((await readError(client, key("a", "2"))).code).toBe("ciphertext.tampered");
  });

  it("copied to another field of the same item under the same key, it fails", async () => {
    const { fake, client } = setup(usersConfig({}, { fields: { ssn: {}, taxId: {} } }));
    await put(client, { ...key("a"), ssn: { S: "x" }, taxId: { S: "y" } });
    const item = fake.tables.get("Users")!.get(slot("a"))!;
    item.taxId = item.ssn;
    expect(await readError(client, key("a"))).toMatchObject({
      code: "ciphertext.tampered",
      field: "taxId",
    });
  });

  it("copied to another table with the same key and field, it fails; a logicalName keeps a renamed table readable", async () => {
    const fake = new FakeDynamoDB({
      Users: ["pk", "sk"],
      UsersCopy: ["pk", "sk"],
      UsersRestored: ["pk", "sk"],
    });
    const client = fake.client();
    const table = { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } };
    const base = usersConfig();
    client.middlewareStack.use(
      fieldEncryption({ ...base, tables: { Users: table, UsersCopy: table } }),
    );
    await put(client, { ...key("a"), ssn: { S: "x" } });
    const stored = fake.tables.get("Users")!.get(slot("a"))!;
    fake.tables.get("UsersCopy")!.set(slot("a"), stored);
    fake.tables.get("UsersRestored")!.set(slot("a"), stored);
    expect((await readError(client, key("a"), "UsersCopy")).code).toBe("ciphertext.tampered");
    // The restored table replaces the original in the application's config.
    const after = fake.client();
    after.middlewareStack.use(
      fieldEncryption({ ...base, tables: { UsersRestored: { ...table, logicalName: "Users" } } }),
    );
    const restored = await after.send(
      new GetItemCommand({ TableName: "UsersRestored", Key: key("a") }),
    );
    expect(restored.Item!.ssn).toEqual({ S: "x" });
  });

  it("two tables may not share a logical name (explicit or by default), since values would move between them undetected", () => {
    const table = { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } };
    for (const tables of [
      { Users: table, UsersRestored: { ...table, logicalName: "Users" } } as Record<
        string,
        TableOptions
      >,
      { A1x: { ...table, logicalName: "Same" }, B1x: { ...table, logicalName: "Same" } },
    ])
      expect(() => fieldEncryption({ ...usersConfig(), tables })).toThrow(
        expect.objectContaining({
          code: "config.invalid",
          message: expect.stringMatching(/logicalName: "(Users|Same)" is also the logical name/),
        }),
      );
  });

  it("a list element moved to another index still decrypts (the configured path is bound, not the index)", async () => {
    const { fake, client } = setup();
    await put(client, {
      ...key("a"),
      addresses: { L: [{ M: { zip: { S: "1" } } }, { M: { zip: { S: "2" } } }] },
    });
    const item = fake.tables.get("Users")!.get(slot("a"))!;
    item.addresses.L.reverse();
    const out = await client.send(new GetItemCommand({ TableName: "Users", Key: key("a") }));
    expect(out.Item!.addresses).toEqual({
      L: [{ M: { zip: { S: "2" } } }, { M: { zip: { S: "1" } } }],
    });
  });

  it("a number key is bound by value, so DynamoDB's normalised spelling still decrypts", async () => {
    const fake = new FakeDynamoDB({ Orders: ["pk"] });
    const client = fake.client();
    client.middlewareStack.use(
      fieldEncryption({
        ...usersConfig(),
        tables: { Orders: { partitionKey: "pk", fields: { ssn: {} } } },
      }),
    );
    await put(client, { pk: { N: "1.50" }, ssn: { S: "x" } }, "Orders");
    const stored = fake.tables.get("Orders")!.get(JSON.stringify([{ N: "1.50" }]))!;
    fake.tables.get("Orders")!.set(JSON.stringify([{ N: "1.5" }]), { ...stored, pk: { N: "1.5" } });
    const out = await client.send(
      new GetItemCommand({ TableName: "Orders", Key: { pk: { N: "1.5" } } }),
    );
    expect(out.Item!.ssn).toEqual({ S: "x" });
  });
});

describe("stored values that are not valid ciphertexts", () => {
  async function readStored(value: string): Promise<EncryptionError> {
    const { fake, client } = setup();
    fake.tables.get("Users")!.set(slot("a"), { ...key("a"), ssn: { S: value } });
    return readError(client, key("a"));
  }

  it("every single-bit flip of the envelope is detected", async () => {
    const { fake, client } = setup();
    await put(client, { ...key("a"), ssn: { S: "123-45-6789" } });
    const original = fake.tables.get("Users")!.get(slot("a"))!;
    const bytes = Buffer.from((original.ssn.S as string).slice(4), "base64");
    const storeSsn = (value: string) =>
      fake.tables.get("Users")!.set(slot("a"), { ...key("a"), ssn: { S: value } });
    /** What a read of the flipped value gave: an error code, or what it decrypted to. */
    const outcomes: string[] = [];
    for (let i = 0; i < bytes.length * 8; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i >> 3]! ^= 1 << (i & 7);
      storeSsn(`ENC:${flipped.toString("base64")}`);
      outcomes.push(
        await client.send(new GetItemCommand({ TableName: "Users", Key: key("a") })).then(
          (out) => `decrypted to ${JSON.stringify(out.Item?.ssn)}`,
          (e: unknown) => (e instanceof EncryptionError ? e.code : `other error ${String(e)}`),
        ),
      );
    }
    const detected = outcomes.filter((o) =>
      /^(ciphertext\.|kms\.invalidCiphertext$|kms\.incorrectKey$|key\.unknownLocalKey$)/.test(o),
    );
    expect(outcomes.filter((o) => !detected.includes(o))).toEqual([]);
    expect(detected).toHaveLength(bytes.length * 8);
    // The unflipped value still decrypts, so the errors above come from the flips.
    storeSsn(original.ssn.S as string);
    const out = await client.send(new GetItemCommand({ TableName: "Users", Key: key("a") }));
    expect(out.Item!.ssn).toEqual({ S: "123-45-6789" });
  });

  it.each([
    ["garbage after the prefix", "ENC:!!not base64!!", "ciphertext.malformed"],
    ["an empty payload", "ENC:", "ciphertext.malformed"],
    ["non-canonical base64", "ENC:3w", "ciphertext.malformed"],
    [
      "a truncated envelope",
      `ENC:${Buffer.from([0xdf, 10, 1, 2, 3]).toString("base64")}`,
      "ciphertext.malformed",
    ],
    [
      "an unknown version",
      `ENC:${Buffer.alloc(64, 7).toString("base64")}`,
      "ciphertext.unsupportedVersion",
    ],
    [
      "a pydynox value with an empty wrapped key",
      `ENC:${Buffer.concat([Buffer.of(1), Buffer.alloc(63)]).toString("base64")}`,
      "ciphertext.malformed",
    ],
  ])("%s is an error, never passed through", async (_, value, code) => {
    expect((await readStored(value)).code).toBe(code);
  });
});
