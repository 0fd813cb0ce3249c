import {
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand as PlainScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { Readable, Writable } from "node:stream";
import fc from "fast-check";
import { runCli } from "../../src/cli/program";
import {
  type BeaconKeyOptions,
  computeBeacons,
  createBeaconKey,
  createItemEncryptor,
  EncryptionError,
  type FieldEncryptionConfig,
  KmsKeyProvider,
} from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool } from "../support/e2e-setup";
import { oracleBeacon, unwrapBeaconKey } from "../support/beacon-oracle";

const table = uniqueTableName("beacons");
const INDEX = "email-index";
let kms: KmsTestServer;
let plain: DynamoDBClient;
let beaconKey: BeaconKeyOptions;
let kmsClient: ReturnType<KmsTestServer["client"]>;
const pool = pluginClientPool();

/** `length: 2` puts every email into one of four beacons, so lookups meet many false positives. */
function config(withBeacons = true): Omit<FieldEncryptionConfig, "kmsClient"> {
  return {
    keyId: "alias/app-data",
    ...(withBeacons ? { beaconKey } : {}),
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: withBeacons
          ? {
              email: { beacon: { length: 2, normalize: "lowercase", index: INDEX } },
              "profile.phone": { beacon: { length: 256 } },
            }
          : { email: {}, "profile.phone": {} },
      },
    },
  };
}

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  await createTable(plain, table, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: INDEX, partitionKey: "email__beacon" }],
  });
  kmsClient = kms.client({ accessKeyId: "app" });
  beaconKey = await createBeaconKey(new KmsKeyProvider({ client: kmsClient }), "alias/app-data");
});

afterAll(async () => {
  pool.destroyAll();
  kmsClient.destroy();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});

/** Every item of the table as stored, with no plugin. */
async function rawItems() {
  return (
    (await plain.send(new PlainScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []
  );
}

/** The stored beacon attributes of one item, and what computeBeacons says they should be from its decrypted value. */
async function beaconsInStep(doc: ReturnType<typeof pool.open>["doc"], pk: string, sk: string) {
  const stored = (
    await plain.send(
      new GetItemCommand({ TableName: table, Key: marshall({ pk, sk }), ConsistentRead: true }),
    )
  ).Item!;
  const item = (
    await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))
  ).Item!;
  const expected = await computeBeacons(
    { ...config(), kmsClient: kmsClient },
    table,
    marshall(item, { removeUndefinedValues: true }),
  );
  return {
    stored: { email: stored.email__beacon?.S, phone: stored.profile_phone__beacon?.S },
    expected: {
      email: expected.beacons.email__beacon?.S,
      phone: expected.beacons.profile_phone__beacon?.S,
    },
  };
}

describe("beacons on DynamoDB Local", () => {
  it("lookups by key condition on the beacon GSI and by filter equal a plaintext oracle (length 2: many false positives)", async () => {
    const { doc } = pool.open(kms, config());
    const oracle = new Map<string, string>();
    const emails = fc.constantFrom("a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x", "A@X");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), emails), { minLength: 1, maxLength: 6 }),
        emails,
        fc.boolean(),
        async (writes, searched, byKey) => {
          for (const [n, email] of writes) {
            await doc.send(
              new PutCommand({ TableName: table, Item: { pk: `p#${n}`, sk: "s", email } }),
            );
            oracle.set(`p#${n}`, email.toLowerCase());
          }
          const want = [...oracle]
            .filter(([, e]) => e === searched.toLowerCase())
            .map(([k]) => k)
            .sort();
          const out = byKey
            ? await doc.send(
                new QueryCommand({
                  TableName: table,
                  IndexName: INDEX,
                  KeyConditionExpression: "email = :e",
                  ExpressionAttributeValues: { ":e": searched },
                }),
              )
            : await doc.send(
                new ScanCommand({
                  TableName: table,
                  ConsistentRead: true,
                  FilterExpression: "email IN (:e) AND begins_with(pk, :p)",
                  ExpressionAttributeValues: { ":e": searched, ":p": "p#" },
                }),
              );
          expect(out.Items!.map((i) => i.pk as string).sort()).toEqual(want);
          expect(out.Count).toBe(want.length);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("stores no plaintext and, below 256 bits, no full HMAC: a 2-bit beacon is one hex digit", async () => {
    const { doc } = pool.open(kms, config());
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "stored",
          sk: "s",
          email: "Secret@Example.com",
          profile: { phone: "555-0199" },
        },
      }),
    );
    const raw = (await rawItems()).find((i) => i.pk?.S === "stored")!;
    expect(JSON.stringify(raw)).not.toMatch(/secret@example|555-0199/i);
    expect(raw.email__beacon!.S).toMatch(/^[0-3]$/);
    expect(raw.profile_phone__beacon!.S).toMatch(/^[0-9a-f]{64}$/);
  });

  it("every write path keeps the beacon in step, REMOVE removes it, and concurrent updates end in step", async () => {
    const { doc } = pool.open(kms, config());
    const key = { pk: "w", sk: "s" };
    const check = async () => {
      const { stored, expected } = await beaconsInStep(doc, key.pk, key.sk);
      expect(stored).toEqual(expected);
    };
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { ...key, email: "one@x", profile: { phone: "1" } },
      }),
    );
    await check();
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET email = :e, profile = :p",
        ExpressionAttributeValues: { ":e": "two@x", ":p": { phone: "2" } },
      }),
    );
    await check();
    await doc.send(
      new UpdateCommand({ TableName: table, Key: key, UpdateExpression: "REMOVE email, profile" }),
    );
    await check();
    expect((await beaconsInStep(doc, key.pk, key.sk)).stored).toEqual({
      email: undefined,
      phone: undefined,
    });
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET email = :e",
        ConditionExpression: "attribute_not_exists(email)",
        ExpressionAttributeValues: { ":e": "three@x" },
      }),
    );
    await check();
    await doc.send(
      new BatchWriteCommand({
        RequestItems: { [table]: [{ PutRequest: { Item: { ...key, email: "four@x" } } }] },
      }),
    );
    await check();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: key,
              UpdateExpression: "SET email = :e",
              ExpressionAttributeValues: { ":e": "five@x" },
            },
          },
        ],
      }),
    );
    await check();
    await Promise.all(
      ["c1@x", "c2@x", "c3@x", "c4@x", "c5@x", "c6@x"].map((email) =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression: "SET email = :e",
            ExpressionAttributeValues: { ":e": email },
          }),
        ),
      ),
    );
    await check();
  });

  it("a 256-bit beacon makes a ConditionExpression equality exact", async () => {
    const { doc } = pool.open(kms, config());
    const key = { pk: "cond", sk: "s" };
    await doc.send(
      new PutCommand({ TableName: table, Item: { ...key, profile: { phone: "555" } } }),
    );
    const update = (phone: string) =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: "SET n = :n",
          ConditionExpression: "profile.phone = :p",
          ExpressionAttributeValues: { ":n": 1, ":p": phone },
        }),
      );
    await update("555");
    await expect(update("556")).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    // The condition's beacon survives an encrypted SET in the same update.
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET email = :e",
        ConditionExpression: "profile.phone = :p",
        ExpressionAttributeValues: { ":e": "cond@x", ":p": "555" },
      }),
    );
  });

  it("items written before the beacon was configured are found after computeBeacons backfills them", async () => {
    const before = pool.open(kms, config(false));
    await before.doc.send(
      new PutCommand({ TableName: table, Item: { pk: "old", sk: "s", email: "legacy@x" } }),
    );
    const after = pool.open(kms, config());
    const find = async () =>
      (
        await after.doc.send(
          new QueryCommand({
            TableName: table,
            IndexName: INDEX,
            KeyConditionExpression: "email = :e",
            ExpressionAttributeValues: { ":e": "legacy@x" },
          }),
        )
      ).Items!.map((i) => i.pk);
    expect(await find()).toEqual([]);
    const encryptor = createItemEncryptor({
      ...config(),
      kmsClient: kmsClient,
    });
    const stored = (
      await plain.send(
        new GetItemCommand({ TableName: table, Key: marshall({ pk: "old", sk: "s" }) }),
      )
    ).Item!;
    const { beacons } = await computeBeacons(
      encryptor,
      table,
      await encryptor.decryptItem(table, stored),
    );
    await plain.send(
      new UpdateItemCommand({
        TableName: table,
        Key: marshall({ pk: "old", sk: "s" }),
        UpdateExpression: "SET email__beacon = :b",
        ExpressionAttributeValues: { ":b": beacons.email__beacon! },
      }),
    );
    expect(await find()).toEqual(["old"]);
  });

  it("keygen prints a beaconKey that a client unwraps and uses", async () => {
    const out: string[] = [];
    const sink = (into: string[]) =>
      new Writable({
        write(chunk: Buffer, _e, cb) {
          into.push(chunk.toString());
          cb();
        },
      });
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "app";
    process.env.AWS_SECRET_ACCESS_KEY = "test";
    let code: number;
    try {
      code = await runCli(
        [
          "keygen",
          "--key-id",
          "alias/app-data",
          "--endpoint-url",
          kms.endpoint,
          "--region",
          kms.region,
        ],
        { stdin: Readable.from([]), stdout: sink(out), stderr: sink([]) },
      );
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
    expect(code).toBe(0);
    const printed = JSON.parse(out.join("")) as BeaconKeyOptions;
    expect(printed.keyId).toBe("alias/app-data");
    const { doc } = pool.open(kms, { ...config(), beaconKey: printed });
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "keygen", sk: "s", email: "K@x", profile: { phone: "555-0142" } },
      }),
    );
    // Stored: the value encrypted, and the beacon that the printed key (not the suite's own) gives.
    const stored = (
      await plain.send(
        new GetItemCommand({
          TableName: table,
          Key: marshall({ pk: "keygen", sk: "s" }),
          ConsistentRead: true,
        }),
      )
    ).Item!;
    expect(stored.email?.S).toMatch(/^ENC:/);
    // The 256-bit phone beacon tells the keys apart; the 2-bit email beacon is checked as well.
    const key = await unwrapBeaconKey(new KmsKeyProvider({ client: kmsClient }), printed);
    expect(stored.profile_phone__beacon).toEqual({
      S: oracleBeacon(key, table, "profile.phone", { S: "555-0142" }, 256),
    });
    expect(stored.email__beacon).toEqual({
      S: oracleBeacon(key, table, "email", { S: "K@x" }, 2, ["lowercase"]),
    });
    const { Item } = await doc.send(
      new GetCommand({ TableName: table, Key: { pk: "keygen", sk: "s" }, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ email: "K@x", profile: { phone: "555-0142" } });
  });

  it("refuses a key condition on the beaconed field without its index", async () => {
    const { doc } = pool.open(kms, config());
    const error = await doc
      .send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":e": "x" },
        }),
      )
      .catch((e: unknown) => e);
    expect(EncryptionError.is(error, "beacon.indexRequired")).toBe(true);
  });
});
