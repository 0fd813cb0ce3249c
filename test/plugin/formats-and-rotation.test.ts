import { randomBytes } from "node:crypto";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  describeCiphertext,
  EncryptionError,
  fieldEncryption,
  type FieldEncryptionConfig,
  LocalKeyProvider,
} from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { pydynoxDecrypt, pydynoxEncrypt, pydynoxParts } from "../support/pydynox-reference";
import { LOCAL_KEYS, setup, usersConfig } from "../support/plugin-setup";

const KEY = { pk: "u", sk: "s" };
const WIRE_KEY = { pk: { S: "u" }, sk: { S: "s" } };
const SLOT = JSON.stringify([WIRE_KEY.pk, WIRE_KEY.sk]);
const firstByte = (stored: string) => Buffer.from(stored.slice(4, 8), "base64")[0];

describe("pydynox's format", () => {
  it("is read by a field that lists it in acceptFormats, whatever it writes, with the field's context; the value comes back as S", async () => {
    const ctx = setup(
      usersConfig(
        { acceptFormats: ["pydynox"] },
        { fields: { ssn: { context: { purpose: "pii" } }, "card.number": { scheme: "kms" } } },
      ),
    );
    const provider = new LocalKeyProvider({ keys: LOCAL_KEYS });
    const ssnKey = await provider.generateDataKey("local/app", { purpose: "pii" });
    const cardKey = await provider.generateDataKey("local/app", {});
    ctx.fake.tables.get("Users")!.set(SLOT, {
      ...WIRE_KEY,
      ssn: { S: pydynoxEncrypt(ssnKey.plaintext, ssnKey.wrapped, "123-45-6789") },
      card: { M: { number: { S: pydynoxEncrypt(cardKey.plaintext, cardKey.wrapped, "4111") } } },
    });
    const out = await ctx.doc.send(new GetCommand({ TableName: "Users", Key: KEY }));
    expect(out.Item).toEqual({ ...KEY, ssn: "123-45-6789", card: { number: "4111" } });
  });

  it("is refused (ciphertext.formatNotAllowed) by a field that does not list it, and by a field that accepts only another format", async () => {
    const provider = new LocalKeyProvider({ keys: LOCAL_KEYS });
    const key = await provider.generateDataKey("local/app", {});
    const planted = pydynoxEncrypt(key.plaintext, key.wrapped, "planted");
    for (const ssn of [{}, { acceptFormats: ["kms" as const] }]) {
      const ctx = setup(usersConfig({}, { fields: { ssn } }));
      ctx.fake.tables.get("Users")!.set(SLOT, { ...WIRE_KEY, ssn: { S: planted } });
      const error = await ctx.doc.send(new GetCommand({ TableName: "Users", Key: KEY })).then(
        () => undefined,
        (e: unknown) => e as EncryptionError,
      );
      expect(error).toBeInstanceOf(EncryptionError);
      expect(error!.code).toBe("ciphertext.formatNotAllowed");
      expect(error!.field).toBe("ssn");
      expect(error!.items).toEqual([
        { table: "Users", field: "ssn", key: WIRE_KEY, code: "ciphertext.formatNotAllowed" },
      ]);
      expect(error!.message).not.toContain("planted");
    }
  });

  it("format: pydynox writes strings that the independent reader decrypts; the data-key cache applies", async () => {
    const ctx = setup(
      usersConfig({}, { fields: { ssn: { format: "pydynox", context: { app: "py" } } } }),
    );
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "123-45-6789" } }),
    );
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "v", sk: "s", ssn: "987-65-4321" } }),
    );
    const stored = ctx.fake.stored("Users", WIRE_KEY)!.ssn.S as string;
    expect(firstByte(stored)).toBe(0x01);
    const dataKey = await new LocalKeyProvider({ keys: LOCAL_KEYS }).decryptDataKey(
      pydynoxParts(stored).wrapped,
      { app: "py" },
      ["local/app"],
    );
    expect(pydynoxDecrypt(dataKey, stored)).toBe("123-45-6789");
    const other = ctx.fake.stored("Users", { pk: { S: "v" }, sk: { S: "s" } })!.ssn.S as string;
    expect(pydynoxParts(other).wrapped).toEqual(pydynoxParts(stored).wrapped);
    expect((await ctx.doc.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item!.ssn).toBe(
      "123-45-6789",
    );
  });

  it("binds nothing: a pydynox value moved to another item still decrypts (why the native format is the default)", async () => {
    const ctx = setup(usersConfig({}, { fields: { ssn: { format: "pydynox" } } }));
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "v", sk: "s", ssn: "123-45-6789" } }),
    );
    ctx.fake.tables.get("Users")!.set(SLOT, {
      ...WIRE_KEY,
      ssn: ctx.fake.stored("Users", { pk: { S: "v" }, sk: { S: "s" } })!.ssn,
    });
    expect((await ctx.doc.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item!.ssn).toBe(
      "123-45-6789",
    );
  });

  it.each([[{ N: "1" }], [{ M: { a: { S: "x" } } }], [{ BOOL: true }]])(
    "format: pydynox refuses a non-string value %j",
    async (value) => {
      const ctx = setup(usersConfig({}, { fields: { ssn: { format: "pydynox" } } }));
      await expect(
        ctx.client.send(
          new PutItemCommand({ TableName: "Users", Item: { ...WIRE_KEY, ssn: value as never } }),
        ),
      ).rejects.toMatchObject({ code: "value.unsupportedType", field: "ssn" });
      expect(ctx.fake.requests).toHaveLength(0);
    },
  );

  it("a tampered pydynox value is detected", async () => {
    const ctx = setup(usersConfig({}, { fields: { ssn: { format: "pydynox" } } }));
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "123-45-6789" } }),
    );
    const bytes = Buffer.from(
      (ctx.fake.stored("Users", WIRE_KEY)!.ssn.S as string).slice(4),
      "base64",
    );
    bytes[bytes.length - 20]! ^= 1;
    ctx.fake.tables
      .get("Users")!
      .set(SLOT, { ...WIRE_KEY, ssn: { S: `ENC:${bytes.toString("base64")}` } });
    await expect(
      ctx.doc.send(new GetCommand({ TableName: "Users", Key: KEY })),
    ).rejects.toMatchObject({ code: "ciphertext.tampered" });
  });
});

describe("the direct KMS scheme", () => {
  it("stores 0xDE | KMS ciphertext per value, keeps the type, and binds the value through the encryption context", async () => {
    const ctx = setup(
      usersConfig({}, { fields: { ssn: { scheme: "kms" }, "card.number": { scheme: "kms" } } }),
    );
    await ctx.client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { ...WIRE_KEY, ssn: { N: "123456789.50" }, card: { M: { number: { S: "4111" } } } },
      }),
    );
    const stored = ctx.fake.stored("Users", WIRE_KEY)!;
    expect(firstByte(stored.ssn.S)).toBe(0xde);
    expect(describeCiphertext(stored.ssn.S)).toMatchObject({
      format: "kms",
      scheme: "kms",
      keyId: "local/app",
    });
    expect(
      (await ctx.client.send(new GetItemCommand({ TableName: "Users", Key: WIRE_KEY }))).Item,
    ).toEqual({ ...WIRE_KEY, ssn: { N: "123456789.50" }, card: { M: { number: { S: "4111" } } } });
    // Moved to another item, the binding in the context no longer matches.
    ctx.fake.tables.get("Users")!.set(JSON.stringify([{ S: "v" }, { S: "s" }]), {
      pk: { S: "v" },
      sk: { S: "s" },
      ssn: stored.ssn,
    });
    await expect(
      ctx.client.send(
        new GetItemCommand({ TableName: "Users", Key: { pk: { S: "v" }, sk: { S: "s" } } }),
      ),
    ).rejects.toMatchObject({ code: "kms.invalidCiphertext", field: "ssn" });
  });

  it("refuses values over KMS's 4,096 bytes with value.tooLarge, before anything is sent", async () => {
    const ctx = setup(usersConfig({}, { fields: { ssn: { scheme: "kms" } } }));
    await expect(
      ctx.doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "x".repeat(4096) } })),
    ).rejects.toMatchObject({ code: "value.tooLarge" });
    expect(ctx.fake.requests).toHaveLength(0);
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "x".repeat(4095) } }),
    );
  });

  it("works for updates; a table can hold a mix of schemes and formats while it migrates", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const writeWith = async (field: Record<string, unknown>, pk: string) => {
      const client = fake.client();
      client.middlewareStack.use(fieldEncryption(usersConfig({}, { fields: { ssn: field } })));
      await client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: pk }, sk: { S: "s" }, ssn: { S: `ssn-${pk}` } },
        }),
      );
    };
    await writeWith({}, "native");
    await writeWith({ format: "pydynox" }, "pydynox");
    await writeWith({ scheme: "kms" }, "kms");
    const reader = fake.client();
    reader.middlewareStack.use(
      fieldEncryption(usersConfig({}, { fields: { ssn: { acceptFormats: ["pydynox", "kms"] } } })),
    );
    for (const pk of ["native", "pydynox", "kms"]) {
      expect(
        (
          await reader.send(
            new GetItemCommand({ TableName: "Users", Key: { pk: { S: pk }, sk: { S: "s" } } }),
          )
        ).Item!.ssn,
      ).toEqual({ S: `ssn-${pk}` });
    }
    const ctx = setup(usersConfig({}, { fields: { ssn: { scheme: "kms" } } }));
    await ctx.doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": "1" },
      }),
    );
    expect(firstByte(ctx.fake.last().body.ExpressionAttributeValues[":dfe_v0"].S)).toBe(0xde);
  });

  it.each([
    [
      { fields: { ssn: { scheme: "kms", format: "pydynox" } } },
      `tables.Users.fields.ssn: format "pydynox" is an envelope format`,
    ],
    [
      { fields: { ssn: { scheme: "direct" } } },
      `tables.Users.fields.ssn.scheme: expected one of envelope, kms`,
    ],
    [
      { fields: { ssn: { format: "v2" } } },
      `tables.Users.fields.ssn.format: expected one of native, pydynox`,
    ],
    [
      { fields: { ssn: { context: { "dfe:table": "x" } } } },
      `tables.Users.fields.ssn.context["dfe:table"]: keys starting with "aws:"`,
    ],
  ])("config mistakes are reported where they are: %j", (table, message) => {
    expect(() => fieldEncryption(usersConfig({}, table as never))).toThrow(message);
  });
});

describe("key rotation on read", () => {
  const keys = { old: randomBytes(32), current: randomBytes(32) };
  const config = (
    keyId: string,
    provider: LocalKeyProvider,
    decryptOnlyKeyIds?: string[],
  ): FieldEncryptionConfig => ({
    keyId,
    keyProvider: provider,
    ...(decryptOnlyKeyIds ? { decryptOnlyKeyIds } : {}),
    tables: {
      Users: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, other: { scheme: "kms" } } },
    },
  });

  it("a changed keyId makes new writes use the new key while values under the old one, listed in decryptOnlyKeyIds, still decrypt", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const before = fake.client();
    before.middlewareStack.use(fieldEncryption(config("old", new LocalKeyProvider({ keys }))));
    await before.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "s" }, ssn: { S: "1" }, other: { S: "2" } },
      }),
    );

    const after = fake.client();
    after.middlewareStack.use(
      fieldEncryption(
        config(
          "current",
          new LocalKeyProvider({
            keys: { current: keys.current },
            decryptOnlyKeys: { old: keys.old },
          }),
          ["old"],
        ),
      ),
    );
    await after.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "b" }, sk: { S: "s" }, ssn: { S: "3" }, other: { S: "4" } },
      }),
    );
    expect(
      describeCiphertext(fake.stored("Users", { pk: { S: "a" }, sk: { S: "s" } })!.ssn.S).keyId,
    ).toBe("old");
    expect(
      describeCiphertext(fake.stored("Users", { pk: { S: "b" }, sk: { S: "s" } })!.ssn.S).keyId,
    ).toBe("current");
    expect(
      describeCiphertext(fake.stored("Users", { pk: { S: "b" }, sk: { S: "s" } })!.other.S).keyId,
    ).toBe("current");
    for (const [pk, ssn, other] of [
      ["a", "1", "2"],
      ["b", "3", "4"],
    ]) {
      const item = (
        await after.send(
          new GetItemCommand({ TableName: "Users", Key: { pk: { S: pk! }, sk: { S: "s" } } }),
        )
      ).Item!;
      expect([item.ssn, item.other]).toEqual([{ S: ssn }, { S: other }]);
    }
  });

  it("a value under a key the field does not list is refused (kms.incorrectKey), even when the provider holds that key", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const provider = () =>
      new LocalKeyProvider({ keys: { current: keys.current }, decryptOnlyKeys: { old: keys.old } });
    const writer = fake.client();
    writer.middlewareStack.use(
      fieldEncryption(config("old", new LocalKeyProvider({ keys: { old: keys.old } }))),
    );
    await writer.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "s" }, ssn: { S: "1" }, other: { S: "2" } },
      }),
    );
    const reader = fake.client();
    reader.middlewareStack.use(fieldEncryption(config("current", provider())));
    const error = await reader
      .send(new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "s" } } }))
      .then(
        () => undefined,
        (e: unknown) => e as EncryptionError,
      );
    expect(error).toMatchObject({ code: "kms.incorrectKey" });
    expect(error!.items!.map((i) => i.field)).toEqual(["ssn"]);
  });

  it("a decrypt-only key is never used to write", async () => {
    const ctx = setup(
      config(
        "old",
        new LocalKeyProvider({
          keys: { current: keys.current },
          decryptOnlyKeys: { old: keys.old },
        }),
      ),
    );
    const error = await ctx.doc
      .send(new PutCommand({ TableName: "Users", Item: { pk: "a", sk: "s", ssn: "1" } }))
      .then(
        () => undefined,
        (e: unknown) => e as EncryptionError,
      );
    expect(error).toMatchObject({ code: "key.unknownLocalKey", field: "ssn" });
    expect(error!.message).toContain("decrypt-only");
    expect(ctx.fake.requests).toHaveLength(0);
  });

  it("a key id in both lists is a config mistake", () => {
    expect(
      () => new LocalKeyProvider({ keys: { a: keys.old }, decryptOnlyKeys: { a: keys.old } }),
    ).toThrow(expect.objectContaining({ code: "config.invalid" }));
  });
});
