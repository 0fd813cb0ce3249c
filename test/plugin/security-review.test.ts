import { GetItemCommand, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand as DocScan,
} from "@aws-sdk/lib-dynamodb";
import {
  type DataKey,
  EncryptionError,
  fieldEncryption,
  type FieldEncryptionConfig,
  type FieldEncryptionEvent,
  type KeyProvider,
  LocalKeyProvider,
} from "../../src";
import { resolveConfig } from "../../src/config/resolve-config";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { LOCAL_KEYS, setup, usersConfig } from "../support/plugin-setup";
import { expectRefused } from "../support/refused";

const slot = (pk: string) => JSON.stringify([{ S: pk }, { S: "s" }]);
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: "s" } });

/** A LocalKeyProvider that counts the calls made to it. */
function countingProvider(): KeyProvider & { calls: { generate: number; decrypt: number } } {
  const inner = new LocalKeyProvider({ keys: LOCAL_KEYS });
  const calls = { generate: 0, decrypt: 0 };
  return {
    id: inner.id,
    calls,
    generateDataKey: (keyId, context): Promise<DataKey> => {
      calls.generate++;
      return inner.generateDataKey(keyId, context);
    },
    decryptDataKey: (wrapped, context, keyIds) => {
      calls.decrypt++;
      return inner.decryptDataKey(wrapped, context, keyIds);
    },
  };
}

/** Writes `count` items to Users, each through a new plugin instance, so each value has its own data key. */
async function itemsWithOwnDataKeys(fake: FakeDynamoDB, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const writer = fake.client();
    writer.middlewareStack.use(fieldEncryption(usersConfig()));
    await writer.send(
      new PutItemCommand({ TableName: "Users", Item: { ...key(`p${i}`), ssn: { S: `s${i}` } } }),
    );
  }
}

async function failure(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

describe("one undecryptable value in a page", () => {
  async function pageWithTwoBadItems(config: FieldEncryptionConfig) {
    const { fake, client } = setup(config);
    for (const pk of ["a", "b", "c"])
      await client.send(
        new PutItemCommand({ TableName: "Users", Item: { ...key(pk), ssn: { S: `ssn-${pk}` } } }),
      );
    const users = fake.tables.get("Users")!;
    users.get(slot("a"))!.ssn = { S: "ENC:3gA=" }; // 2 bytes of the direct scheme, which ssn does not read
    users.get(slot("c"))!.ssn = users.get(slot("b"))!.ssn; // moved from b: tampered
    return { fake, client };
  }

  it("fails the whole page by default, and the error names every failed item by key and field (never a value)", async () => {
    const { client } = await pageWithTwoBadItems(usersConfig());
    const error = await failure(client.send(new ScanCommand({ TableName: "Users" })));
    expect(error.code).toBe("ciphertext.formatNotAllowed");
    expect(error.items).toEqual([
      { table: "Users", field: "ssn", key: key("a"), code: "ciphertext.formatNotAllowed" },
      { table: "Users", field: "ssn", key: key("c"), code: "ciphertext.tampered" },
    ]);
    expect(error.message).toContain("2 items failed");
    expect(error.message).not.toMatch(/ssn-[abc]/);
  });

  it('with undecryptableItems: "skip", returns the other items, adjusts Count, and reports each failed one through onEvent', async () => {
    const events: FieldEncryptionEvent[] = [];
    const { client } = await pageWithTwoBadItems(
      usersConfig({ undecryptableItems: "skip", onEvent: (e) => events.push(e) }),
    );
    const out = await client.send(new ScanCommand({ TableName: "Users" }));
    expect(out.Items).toEqual([{ ...key("b"), ssn: { S: "ssn-b" } }]);
    expect(out.Count).toBe(1);
    expect(events.filter((e) => e.type === "undecryptable")).toEqual([
      {
        type: "undecryptable",
        table: "Users",
        field: "ssn",
        key: key("a"),
        code: "ciphertext.formatNotAllowed",
      },
      {
        type: "undecryptable",
        table: "Users",
        field: "ssn",
        key: key("c"),
        code: "ciphertext.tampered",
      },
    ]);
  });

  it('with undecryptableItems: "skip", a single-item read still fails', async () => {
    const { client } = await pageWithTwoBadItems(usersConfig({ undecryptableItems: "skip" }));
    const error = await failure(
      client.send(new GetItemCommand({ TableName: "Users", Key: key("c") })),
    );
    expect(error).toMatchObject({ code: "ciphertext.tampered", items: [{ key: key("c") }] });
  });

  it('with undecryptableItems: "skip", a KMS failure still fails the whole page', async () => {
    const { fake } = await pageWithTwoBadItems(usersConfig());
    const provider = new LocalKeyProvider({ keys: LOCAL_KEYS });
    const throttled: KeyProvider = {
      id: provider.id,
      generateDataKey: (k, c) => provider.generateDataKey(k, c),
      decryptDataKey: () => Promise.reject(new EncryptionError("kms.throttled", "throttled")),
    };
    const client = fake.client();
    client.middlewareStack.use(
      fieldEncryption(usersConfig({ keyProvider: throttled, undecryptableItems: "skip" })),
    );
    const error = await failure(client.send(new ScanCommand({ TableName: "Users" })));
    expect(error.code).toBe("kms.throttled");
  });

  it("undecryptableItems must be fail or skip", () => {
    expect(() => fieldEncryption(usersConfig({ undecryptableItems: "drop" as never }))).toThrow(
      "config.undecryptableItems: expected one of fail, skip",
    );
  });
});

describe("KMS calls per request", () => {
  it("a page needing more calls than maxKmsCallsPerRequest is refused before any call (kms.tooManyCalls)", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    await itemsWithOwnDataKeys(fake, 4);
    const provider = countingProvider();
    const client = fake.client();
    client.middlewareStack.use(
      fieldEncryption(usersConfig({ keyProvider: provider, maxKmsCallsPerRequest: 3 })),
    );
    const error = await failure(client.send(new ScanCommand({ TableName: "Users" })));
    expect(error.code).toBe("kms.tooManyCalls");
    expect(error.message).toContain("4 KMS calls");
    expect(provider.calls.decrypt).toBe(0);

    const within = fake.client();
    within.middlewareStack.use(
      fieldEncryption(usersConfig({ keyProvider: provider, maxKmsCallsPerRequest: 4 })),
    );
    expect((await within.send(new ScanCommand({ TableName: "Users" }))).Items).toHaveLength(4);
    expect(provider.calls.decrypt).toBe(4);
  });

  it("a write needing more calls than the limit is refused before any call, and nothing is sent", async () => {
    const provider = countingProvider();
    const { fake, doc } = setup(
      usersConfig({ keyProvider: provider, cache: false, maxKmsCallsPerRequest: 2 }),
    );
    await expectRefused(
      doc.send(
        new PutCommand({
          TableName: "Users",
          Item: { pk: "a", sk: "s", ssn: "1", addresses: [{ zip: "1" }, { zip: "2" }] },
        }),
      ),
      fake,
      "kms.tooManyCalls",
    );
    expect(provider.calls.generate).toBe(0);
  });

  it("defaults: 1000, or 10000 when the config makes one call per value", () => {
    const limit = (config: FieldEncryptionConfig) => resolveConfig(config).maxKmsCallsPerRequest;
    expect(limit(usersConfig())).toBe(1000);
    expect(limit(usersConfig({ cache: false }))).toBe(10_000);
    expect(limit(usersConfig({}, { fields: { ssn: { scheme: "kms" } } }))).toBe(10_000);
    expect(limit(usersConfig({}, { fields: { ssn: { acceptFormats: ["kms"] } } }))).toBe(10_000);
    expect(limit(usersConfig({ maxKmsCallsPerRequest: 5 }))).toBe(5);
  });
});

describe("WriteOnly pass-through", () => {
  it("a malformed ENC: value submitted to a WriteOnly client is encrypted as a string, so readers' pages stay readable", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "a", sk: "s", ssn: "ENC:3gA=" } }),
    );
    const stored = fake.tables.get("Users")!.get(slot("a"))!.ssn.S as string;
    expect(stored).not.toBe("ENC:3gA=");
    const readerClient = fake.client();
    readerClient.middlewareStack.use(fieldEncryption(usersConfig()));
    const reader = DynamoDBDocumentClient.from(readerClient);
    expect((await reader.send(new DocScan({ TableName: "Users" }))).Items).toEqual([
      { pk: "a", sk: "s", ssn: "ENC:3gA=" },
    ]);
  });

  it("another item's ciphertext submitted to a WriteOnly client is encrypted as a string, even after the client read it from that other item", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "victim", sk: "s", ssn: "secret" } }),
    );
    const victim = (
      await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "victim", sk: "s" } }))
    ).Item!.ssn as string;
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "attacker", sk: "s", ssn: victim } }),
    );
    expect(fake.tables.get("Users")!.get(slot("attacker"))!.ssn.S).not.toBe(victim);
    const readerClient = fake.client();
    readerClient.middlewareStack.use(fieldEncryption(usersConfig()));
    const back = await DynamoDBDocumentClient.from(readerClient).send(
      new GetCommand({ TableName: "Users", Key: { pk: "attacker", sk: "s" } }),
    );
    expect(back.Item!.ssn).toBe(victim); // the text, never the victim's secret
  });

  it("a ReadWrite client encrypts a ciphertext-looking input as a new string, even one it read itself", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: { pk: "a", sk: "s", ssn: "1" } }));
    const stored = fake.tables.get("Users")!.get(slot("a"))!.ssn.S as string;
    await doc.send(new PutCommand({ TableName: "Users", Item: { pk: "a", sk: "s", ssn: stored } }));
    expect(fake.tables.get("Users")!.get(slot("a"))!.ssn.S).not.toBe(stored);
    const back = await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "a", sk: "s" } }));
    expect(back.Item!.ssn).toBe(stored);
  });
});

describe("key values that are not well-formed UTF-16", () => {
  it("are refused on write (item.keyInvalid): a lone surrogate and U+FFFD are different keys in DynamoDB but would bind alike", async () => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: "x\udc00" }, sk: { S: "s" }, ssn: { S: "1" } },
        }),
      ),
      fake,
      "item.keyInvalid",
    );
  });

  it("fail the item on read: a value copied from x\ufffd to x\udc00 is not returned", async () => {
    const { fake, client } = setup();
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "x\ufffd" }, sk: { S: "s" }, ssn: { S: "1" } },
      }),
    );
    const stored = fake.tables.get("Users")!.get(slot("x\ufffd"))!;
    fake.tables.get("Users")!.set(slot("x\udc00"), { ...stored, pk: { S: "x\udc00" } });
    const error = await failure(
      client.send(new GetItemCommand({ TableName: "Users", Key: key("x\udc00") })),
    );
    expect(error.code).toBe("item.keyInvalid");
  });
});

describe("config limits", () => {
  it("cache.maxUses above 2^32 is refused: the AES-GCM limit for random IVs under one key", () => {
    expect(() => fieldEncryption(usersConfig({ cache: { maxUses: 2 ** 32 + 1 } }))).toThrow(
      "config.cache.maxUses: at most 2^32",
    );
    expect(() => fieldEncryption(usersConfig({ cache: { maxUses: 2 ** 32 } }))).not.toThrow();
  });

  it.each([
    [{ acceptFormats: ["v2"] }, "acceptFormats: expected formats among native, pydynox, kms"],
    [{ acceptFormats: "pydynox" }, "acceptFormats: expected an array"],
    [{ decryptOnlyKeyIds: [""] }, "decryptOnlyKeyIds: expected non-empty strings"],
    [{ decryptOnlyKeyIds: "alias/old" }, "decryptOnlyKeyIds: expected an array"],
  ])("field options are checked: %j", (field, message) => {
    expect(() => fieldEncryption(usersConfig({}, { fields: { ssn: field as never } }))).toThrow(
      message,
    );
  });
});

describe("attribute names that are Object properties", () => {
  it("a map key named __proto__ inside an encrypted value comes back as the plain SDK returns it, never as a prototype", async () => {
    const { fake, client } = setup(usersConfig({}, { fields: { card: {} } }));
    const card = JSON.parse('{"M":{"__proto__":{"S":"4111"},"expiry":{"S":"12/30"}}}') as never;
    await client.send(new PutItemCommand({ TableName: "Users", Item: { ...key("a"), card } }));
    const out = await client.send(new GetItemCommand({ TableName: "Users", Key: key("a") }));
    const map = (out.Item!.card as { M: Record<string, unknown> }).M;
    // The same map through the same SDK without the plugin: older SDKs' serializers drop a
    // __proto__ key before any middleware sees it, newer ones keep it as an own attribute.
    const plain = fake.client();
    await plain.send(new PutItemCommand({ TableName: "Plain", Item: { pk: { S: "a" }, card } }));
    const reference = (
      (await plain.send(new GetItemCommand({ TableName: "Plain", Key: { pk: { S: "a" } } }))).Item!
        .card as { M: Record<string, unknown> }
    ).M;
    expect(Object.keys(map).sort()).toEqual(Object.keys(reference).sort());
    expect(Object.getOwnPropertyDescriptor(map, "__proto__")?.value).toEqual(
      Object.getOwnPropertyDescriptor(reference, "__proto__")?.value,
    );
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.prototype).not.toHaveProperty("S");
  });
});
