import { randomBytes } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { NumberValueImpl } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import {
  createItemEncryptor,
  EncryptionError,
  type FieldEncryptionConfig,
  type FieldEncryptionEvent,
  LocalKeyProvider,
} from "../../../src";
import { attributeValue } from "../../support/arbitraries";

const KEYS = { app: randomBytes(32), pii: randomBytes(32) };

function config(events: FieldEncryptionEvent[] = [], extra: Partial<FieldEncryptionConfig> = {}) {
  return {
    keyId: "app",
    keyProvider: new LocalKeyProvider({ keys: KEYS }),
    onEvent: (e: FieldEncryptionEvent) => events.push(e),
    tables: {
      Users: {
        partitionKey: "pk",
        sortKey: "sk",
        logicalName: "users",
        fields: { ssn: {}, "card.number": { keyId: "pii" }, "tags[]": {} },
      },
    },
    ...extra,
  } satisfies FieldEncryptionConfig;
}

const kmsCalls = (events: FieldEncryptionEvent[], op: string) =>
  events.filter((e) => e.type === "kms" && e.operation === op).length;

const user = (i: number): Record<string, AttributeValue> => ({
  pk: { S: `user#${i}` },
  sk: { S: "profile" },
  name: { S: "Ada" },
  ssn: { S: `123-45-${String(i).padStart(4, "0")}` },
  card: { M: { number: { S: "4111111111111111" }, expiry: { S: "12/30" } } },
  tags: { L: [{ S: "vip" }, { N: "7" }] },
  photo: { B: new Uint8Array([1, 2, 3]) },
});

async function errorOf(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

describe("createItemEncryptor, attributeValue items", () => {
  const encryptor = createItemEncryptor(config());

  it("encrypts exactly the configured fields and decrypts them back", async () => {
    const stored = await encryptor.encryptItem("Users", user(1));
    expect(stored.ssn!.S).toMatch(/^ENC:/);
    expect(stored.card!.M!.number!.S).toMatch(/^ENC:/);
    expect(stored.card!.M!.expiry).toEqual({ S: "12/30" });
    expect(stored.tags!.L!.every((v) => v.S?.startsWith("ENC:"))).toBe(true);
    expect(stored.name).toEqual({ S: "Ada" });
    expect(stored.photo).toEqual({ B: new Uint8Array([1, 2, 3]) });
    expect(await encryptor.decryptItem("Users", stored)).toEqual(user(1));
  });

  it("never changes the items it is given, and returns new ones", async () => {
    const input = user(2);
    const before = structuredClone(input);
    const stored = await encryptor.encryptItem("Users", input);
    expect(input).toEqual(before);
    const storedBefore = structuredClone(stored);
    const back = await encryptor.decryptItem("Users", stored);
    expect(stored).toEqual(storedBefore);
    expect(back).not.toBe(stored);
    expect(back.card!.M).not.toBe(input.card!.M);
  });

  it("round-trips any attribute value at a configured path", async () => {
    await fc.assert(
      fc.asyncProperty(attributeValue, attributeValue, async (ssn, number) => {
        const item = { pk: { S: "p" }, sk: { S: "s" }, ssn, card: { M: { number } } };
        const stored = await encryptor.encryptItem("Users", item);
        expect(stored.ssn!.S).toMatch(/^ENC:/);
        expect(await encryptor.decryptItem("Users", stored)).toEqual(item);
      }),
      { numRuns: 60 },
    );
  });

  it("finds a table by its logicalName as well as its table name", async () => {
    const stored = await encryptor.encryptItem("users", user(3));
    expect(await encryptor.decryptItem("Users", stored)).toEqual(user(3));
  });

  it("refuses a table the config does not name (table.unknown), rather than passing values through", async () => {
    const error = await errorOf(encryptor.encryptItem("Userz", user(1)));
    expect(error.code).toBe("table.unknown");
    expect((await errorOf(encryptor.decryptItems("Userz", [user(1)]))).code).toBe("table.unknown");
  });

  it("refuses an item that is not AttributeValues (value.invalid), without showing values", async () => {
    const bad = { ...user(1), name: "Ada Lovelace" } as unknown as Record<string, AttributeValue>;
    const error = await errorOf(encryptor.encryptItem("Users", bad));
    expect(error.code).toBe("value.invalid");
    expect(error.message).toContain('"name"');
    expect(error.message).not.toContain("Lovelace");
  });

  it("needs the key attributes a value is bound to (item.keyMissing)", async () => {
    const noSortKey = user(1);
    delete noSortKey.sk;
    expect((await errorOf(encryptor.encryptItem("Users", noSortKey))).code).toBe("item.keyMissing");
  });

  it("detects a value moved to another item (ciphertext.tampered)", async () => {
    const [a, b] = await encryptor.encryptItems("Users", [user(1), user(2)]);
    const moved = { ...b!, ssn: a!.ssn! };
    const error = await errorOf(encryptor.decryptItem("Users", moved));
    expect(error.code).toBe("ciphertext.tampered");
    expect(error.field).toBe("ssn");
  });

  it("rejects a shape it does not know instead of guessing (config.invalid)", () => {
    expect(() => createItemEncryptor(config(), { shape: "marshalled" as never })).toThrow(
      expect.objectContaining({ code: "config.invalid" }),
    );
  });
});

describe("batches", () => {
  it("decryptItems of 100 items under two data keys makes two KMS calls", async () => {
    const writer = createItemEncryptor(config());
    const stored = await writer.encryptItems(
      "Users",
      Array.from({ length: 100 }, (_, i) => user(i)),
    );
    const events: FieldEncryptionEvent[] = [];
    const reader = createItemEncryptor(config(events));
    const back = await reader.decryptItems("Users", stored);
    expect(back).toEqual(Array.from({ length: 100 }, (_, i) => user(i)));
    expect(kmsCalls(events, "decryptDataKey")).toBe(2); // "app" for ssn and tags, "pii" for card.number
  });

  it("encryptItems of 100 items makes one GenerateDataKey per KMS key", async () => {
    const events: FieldEncryptionEvent[] = [];
    await createItemEncryptor(config(events)).encryptItems(
      "Users",
      Array.from({ length: 100 }, (_, i) => user(i)),
    );
    expect(kmsCalls(events, "generateDataKey")).toBe(2);
  });

  it("one bad item fails the whole batch", async () => {
    const encryptor = createItemEncryptor(config());
    const stored = await encryptor.encryptItems("Users", [user(1), user(2)]);
    const tampered = { ...stored[1]!, ssn: stored[0]!.ssn! };
    expect((await errorOf(encryptor.decryptItems("Users", [stored[0]!, tampered]))).code).toBe(
      "ciphertext.tampered",
    );
  });
});

describe("modes", () => {
  const mode = (m: "ReadOnly" | "WriteOnly") => createItemEncryptor(config([], { mode: m }));

  it("a ReadOnly encryptor may not encrypt (mode.readOnlyWrite)", async () => {
    expect((await errorOf(mode("ReadOnly").encryptItem("Users", user(1)))).code).toBe(
      "mode.readOnlyWrite",
    );
  });

  it("a WriteOnly encryptor returns stored ciphertext as it is on decrypt", async () => {
    const stored = await mode("WriteOnly").encryptItem("Users", user(1));
    const read = await mode("WriteOnly").decryptItem("Users", stored);
    expect(read.ssn!.S).toMatch(/^ENC:/);
    expect(await mode("ReadOnly").decryptItem("Users", stored)).toEqual(user(1));
  });
});

describe("json and native shapes", () => {
  const encryptor = createItemEncryptor(config());

  it("json items keep binary as base64 text, and decrypt what attributeValue items encrypted", async () => {
    const json = encryptor.withShape("json");
    const stored = await encryptor.encryptItem("Users", user(4));
    const asJson = JSON.parse(
      JSON.stringify(stored, (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
      ),
    );
    const back = await json.decryptItem("Users", asJson);
    expect(back.photo).toEqual({ B: Buffer.from([1, 2, 3]).toString("base64") });
    expect(back.ssn).toEqual({ S: "123-45-0004" });
  });

  it("native items are marshalled with the translateConfig given, as the Document client would", async () => {
    const native = encryptor.withShape("native", {
      marshallOptions: { removeUndefinedValues: true },
      unmarshallOptions: { wrapNumbers: true },
    });
    const item = { pk: "user#5", sk: "profile", ssn: 123456789, gone: undefined };
    const stored = await native.encryptItem("Users", item);
    expect(stored.ssn).toMatch(/^ENC:/);
    expect("gone" in stored).toBe(false);
    const back = await native.decryptItem("Users", stored);
    expect(back.ssn).toBeInstanceOf(NumberValueImpl);
    expect(String(back.ssn)).toBe("123456789");
  });

  it("the shape is as stated, never guessed: a native map that looks like an AttributeValue stays a map", async () => {
    const native = createItemEncryptor(config(), { shape: "native" });
    const stored = await native.encryptItem("Users", { pk: "u", sk: "s", ssn: { S: "x" } });
    // Read as AttributeValues, the decrypted ssn is a map holding a key "S".
    const raw = await native.withShape("attributeValue").decryptItem("Users", {
      pk: { S: "u" },
      sk: { S: "s" },
      ssn: { S: stored.ssn as string },
    });
    expect(raw.ssn).toEqual({ M: { S: { S: "x" } } });
    expect(await native.decryptItem("Users", stored)).toEqual({
      pk: "u",
      sk: "s",
      ssn: { S: "x" },
    });
  });

  it("a native item the marshaller refuses fails as value.invalid, with the marshaller's error as cause", async () => {
    const native = createItemEncryptor(config(), { shape: "native" });
    const error = await errorOf(native.encryptItem("Users", { pk: "u", sk: "s", ssn: undefined }));
    expect(error.code).toBe("value.invalid");
    expect(error.cause).toBeInstanceOf(Error);
  });
});
