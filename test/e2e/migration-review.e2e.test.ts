import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  createItemEncryptor,
  describeCiphertext,
  EncryptionError,
  type FieldEncryptionConfig,
  fieldEncryption,
  type FieldOptions,
  type KeyProvider,
  listKeys,
  LocalKeyProvider,
  migrateTable,
  verifyTable,
} from "../../src";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";

/** Regression tests for the findings of the review of the migration tools (F1 to F17). */
jest.setTimeout(120_000);

const K0 = new Uint8Array(32).fill(10);
const K1 = new Uint8Array(32).fill(11);
const toolProvider = new LocalKeyProvider({ keys: { k1: K1 }, decryptOnlyKeys: { k0: K0 } });
const writerProvider = new LocalKeyProvider({ keys: { k0: K0, k1: K1 } });
let plain: DynamoDBClient;
let dir: string;
const tables: string[] = [];

beforeAll(() => {
  plain = plainDynamoClient();
  dir = mkdtempSync(join(tmpdir(), "dfe-mig-review-"));
});
afterAll(async () => {
  for (const t of tables) await deleteTable(plain, t).catch(() => undefined);
  plain.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function newTable(items: Record<string, AttributeValue>[]): Promise<string> {
  const table = uniqueTableName("mig-rv");
  tables.push(table);
  await createTable(plain, table, { partitionKey: "pk" });
  for (let i = 0; i < items.length; i += 25)
    await plain.send(
      new BatchWriteItemCommand({
        RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  return table;
}

const plaintextItems = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ pk: { S: `p${i}` }, ssn: { S: `secret-${i}` } }));

const config = (
  table: string,
  field: FieldOptions = {},
  keyProvider: KeyProvider = toolProvider,
): FieldEncryptionConfig => ({
  keyId: "k1",
  keyProvider,
  tables: {
    [table]: { partitionKey: "pk", fields: { ssn: { decryptOnlyKeyIds: ["k0"], ...field } } },
  },
});

const ssnOf = async (table: string, pk: string) =>
  (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item?.ssn;
const file = (name: string) => join(dir, `${name}.json`);

describe("F1: a reused checkpoint never lets verify pass on values it did not see", () => {
  it("a second verify with the same checkpoint table is refused, and with --resume it still fails", async () => {
    const table = await newTable(plaintextItems(10));
    const checkpoint = { table: uniqueTableName("mig-rv-ck") };
    tables.push(checkpoint.table);
    const first = await verifyTable({ config: config(table), table, client: plain, checkpoint });
    expect(first.status).toBe("notCurrent");
    await expect(
      verifyTable({ config: config(table), table, client: plain, checkpoint }),
    ).rejects.toMatchObject({
      code: "migration.checkpointMismatch",
    });
    const resumed = await verifyTable({
      config: config(table),
      table,
      client: plain,
      checkpoint,
      resume: true,
    });
    expect(resumed.items.scanned).toBe(0);
    expect(resumed.status).toBe("notCurrent");
  });

  it("--resume of a checkpoint table run that does not exist is refused", async () => {
    const table = await newTable(plaintextItems(2));
    await expect(
      verifyTable({
        config: config(table),
        table,
        client: plain,
        checkpoint: { table: uniqueTableName("mig-rv-none") },
        resume: true,
      }),
    ).rejects.toMatchObject({ code: "migration.checkpointMissing" });
  });

  it("a verify interrupted after a page with plaintext, then resumed, does not report ok", async () => {
    const table = await newTable(plaintextItems(10));
    const controller = new AbortController();
    const first = await verifyTable({
      config: config(table),
      table,
      client: plain,
      checkpoint: { file: file(`${table}-v`) },
      pageSize: 5,
      signal: controller.signal,
      onProgress: () => controller.abort("SIGINT"),
    });
    expect(first.status).toBe("interrupted");
    // Meanwhile the table is migrated: the pages left to the resumed verify hold only current values.
    await migrateTable({
      config: config(table),
      table,
      client: plain,
      checkpoint: { file: file(`${table}-m`) },
    });
    const resumed = await verifyTable({
      config: config(table),
      table,
      client: plain,
      checkpoint: { file: file(`${table}-v`) },
      pageSize: 5,
      resume: true,
    });
    expect(resumed.status).toBe("notCurrent");
    expect(resumed.notes).toHaveLength(1);
  });
});

describe("F2 and F3: failed items keep the checkpoint before their page", () => {
  it("an item that cannot be encrypted fails the run, and --resume retries it instead of reporting ok", async () => {
    const table = await newTable([
      { pk: { S: "num" }, ssn: { N: "123456789" } },
      ...plaintextItems(5),
    ]);
    const options = {
      config: config(table, { format: "pydynox" }),
      table,
      client: plain,
      checkpoint: { file: file(table) },
      pageSize: 2,
    };
    const first = await migrateTable(options);
    expect(first.status).toBe("failed");
    expect(first.failures).toEqual([
      expect.objectContaining({ key: { pk: { S: "num" } }, code: "value.unsupportedType" }),
    ]);
    expect(first.items.rewritten).toBe(5);
    const resumed = await migrateTable({ ...options, resume: true });
    expect(resumed.status).toBe("failed");
    expect(resumed.failures).toEqual([expect.objectContaining({ key: { pk: { S: "num" } } })]);
  });

  it("an item DynamoDB refuses once encrypted (over 400 KB) fails alone; every other item is migrated", async () => {
    const table = await newTable([
      { pk: { S: "big" }, ssn: { S: "x".repeat(330_000) } },
      ...plaintextItems(5),
    ]);
    const report = await migrateTable({
      config: config(table),
      table,
      client: plain,
      checkpoint: { file: file(table) },
      pageSize: 2,
    });
    expect(report.status).toBe("failed");
    expect(report.failures).toEqual([
      expect.objectContaining({ key: { pk: { S: "big" } }, code: "ValidationException" }),
    ]);
    expect(report.items.rewritten).toBe(5);
    for (let i = 0; i < 5; i++)
      expect((await ssnOf(table, `p${i}`))?.S?.startsWith("ENC:")).toBe(true);
  });
});

describe("F8: KMS trouble while encrypting is retried, then stops the run before the page", () => {
  /** A provider whose data-key calls fail `failures` times (or always) with `code`. */
  const flaky = (code: "kms.throttled" | "kms.failed", failures: number) => {
    let calls = 0;
    const provider: KeyProvider & { calls: () => number } = {
      id: "flaky",
      calls: () => calls,
      generateDataKey: (keyId, context) => {
        calls++;
        if (calls <= failures) return Promise.reject(new EncryptionError(code, "injected"));
        return toolProvider.generateDataKey(keyId, context);
      },
      decryptDataKey: (w, c, k) => toolProvider.decryptDataKey(w, c, k),
    };
    return provider;
  };

  it("throttling on GenerateDataKey is retried with backoff and the migration completes", async () => {
    const table = await newTable(plaintextItems(6));
    const provider = flaky("kms.throttled", 3);
    const report = await migrateTable({
      config: { ...config(table, {}, provider), cache: false },
      table,
      client: plain,
      checkpoint: { file: file(table) },
      pageSize: 2,
    });
    expect(report.status).toBe("ok");
    expect(report.items.rewritten).toBe(6);
    expect(provider.calls()).toBeGreaterThan(3);
  });

  it("an outage stops the run with its error and a checkpoint that is not done; --resume finishes", async () => {
    const table = await newTable(plaintextItems(6));
    const options = {
      table,
      client: plain,
      checkpoint: { file: file(table) },
      pageSize: 2,
      retries: 1,
    };
    const stopped = await migrateTable({
      ...options,
      config: { ...config(table, {}, flaky("kms.failed", 1000)), cache: false },
    });
    expect(stopped.status).toBe("failed");
    expect(stopped.error?.code).toBe("kms.failed");
    expect(stopped.items.failed).toBe(0);
    const saved = JSON.parse(readFileSync(file(table), "utf8")) as {
      segments: Record<string, { done: boolean }>;
    };
    expect(saved.segments[0]?.done ?? false).toBe(false);
    const resumed = await migrateTable({ ...options, config: config(table), resume: true });
    expect(resumed.status).toBe("ok");
    for (let i = 0; i < 6; i++)
      expect((await ssnOf(table, `p${i}`))?.S?.startsWith("ENC:")).toBe(true);
  });
});

describe("F7: a client with the plugin is refused", () => {
  it("verify through a plugin client throws migration.optionsInvalid instead of miscounting", async () => {
    const table = await newTable(plaintextItems(1));
    const client = plainDynamoClient();
    client.middlewareStack.use(fieldEncryption(config(table)));
    await expect(verifyTable({ config: config(table), table, client })).rejects.toMatchObject({
      code: "migration.optionsInvalid",
    });
    client.destroy();
  });
});

describe("F11 and F12: the checkpoint pins the table; leases have a floor", () => {
  it("a checkpoint of a table that was deleted and re-created under the same name is refused", async () => {
    const table = await newTable(plaintextItems(4));
    const options = {
      config: config(table),
      table,
      client: plain,
      checkpoint: { file: file(`${table}-re`) },
      pageSize: 2,
    };
    const controller = new AbortController();
    await migrateTable({
      ...options,
      signal: controller.signal,
      onProgress: () => controller.abort("SIGINT"),
    });
    await deleteTable(plain, table);
    await createTable(plain, table, { partitionKey: "pk" });
    await expect(migrateTable({ ...options, resume: true })).rejects.toMatchObject({
      code: "migration.checkpointMismatch",
      message: expect.stringContaining("tableId") as string,
    });
  });

  it("a lease shorter than 3 s is refused", async () => {
    const table = await newTable(plaintextItems(1));
    await expect(
      migrateTable({
        config: config(table),
        table,
        client: plain,
        checkpoint: { table: "x", leaseMs: 1 },
      }),
    ).rejects.toMatchObject({ code: "migration.optionsInvalid" });
  });
});

describe("F4: empty --fields and --only lists are refused", () => {
  it("fields: [] and only: [] throw migration.optionsInvalid before reading", async () => {
    const table = await newTable(plaintextItems(1));
    await expect(
      verifyTable({ config: config(table), table, client: plain, fields: [] }),
    ).rejects.toMatchObject({ code: "migration.optionsInvalid" });
    await expect(
      verifyTable({ config: config(table), table, client: plain, only: [] }),
    ).rejects.toMatchObject({ code: "migration.optionsInvalid" });
  });
});

describe("F13 and F17: key and format together; no downgrade", () => {
  it("a direct-scheme value under the retired key is rewritten by --only keys, and verify --only keys then passes with the old key gone", async () => {
    const table = await newTable([]);
    const old = createItemEncryptor({
      keyId: "k0",
      keyProvider: writerProvider,
      tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme: "kms" } } } },
    });
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: await old.encryptItem(table, { pk: { S: "d" }, ssn: { S: "x" } }),
      }),
    );
    const cfg = config(table, { acceptFormats: ["kms"] });
    const before = await verifyTable({ config: cfg, table, client: plain, only: ["keys"] });
    expect(before.status).toBe("notCurrent");
    expect(before.fields.ssn!.notCurrent).toEqual({ keys: 1, formats: 1 });
    await migrateTable({
      config: cfg,
      table,
      client: plain,
      only: ["keys"],
      checkpoint: { file: file(table) },
    });
    expect((await verifyTable({ config: cfg, table, client: plain, only: ["keys"] })).status).toBe(
      "ok",
    );
    expect(
      (await listKeys({ config: cfg, table, client: plain })).keys.map((k) => k.keyId),
    ).toEqual(["k1"]);
  });

  it("a bound native value in a field that writes pydynox counts as current and is not rewritten", async () => {
    const table = await newTable([]);
    const native = createItemEncryptor(config(table));
    const stored = await native.encryptItem(table, { pk: { S: "n" }, ssn: { S: "x" } });
    await plain.send(new PutItemCommand({ TableName: table, Item: stored }));
    const report = await migrateTable({
      config: config(table, { format: "pydynox", acceptFormats: ["native"] }),
      table,
      client: plain,
      checkpoint: { file: file(table) },
    });
    expect(report.items.rewritten).toBe(0);
    expect(describeCiphertext((await ssnOf(table, "n"))!.S!).format).toBe("native");
  });
});

describe("F15: one process with a checkpoint table scans each segment once", () => {
  it("300 items, 4 segments: 300 scanned, each segment finished once, no self-inflicted conflicts", async () => {
    const table = await newTable(plaintextItems(300));
    const checkpoint = { table: uniqueTableName("mig-rv-ck") };
    tables.push(checkpoint.table);
    const report = await migrateTable({
      config: config(table),
      table,
      client: plain,
      segments: 4,
      pageSize: 5,
      checkpoint,
    });
    expect(report.items.scanned).toBe(300);
    expect(report.items.conflicts).toBe(0);
    expect([...report.segments.finished].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe("F5: what a conflict's re-read finds is reported", () => {
  it("an application write of an ENC:-looking bad value between read and write: left, reported, exit status notCurrent", async () => {
    const table = await newTable(plaintextItems(1));
    const client = plainDynamoClient();
    let injected = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (!injected && "UpdateExpression" in args.input) {
          injected = true;
          await plain.send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: "p0" }, ssn: { S: "ENC:garbage" } },
            }),
          );
        }
        return next(args);
      },
      { step: "initialize", name: "applicationWritesFirst" },
    );
    const report = await migrateTable({
      config: config(table),
      table,
      client,
      checkpoint: { file: file(table) },
    });
    client.destroy();
    expect(report.items.conflicts).toBe(1);
    expect(report.status).toBe("notCurrent");
    expect(report.items.skipped).toBe(1);
    expect(report.undecryptable).toEqual([
      { key: { pk: { S: "p0" } }, field: "ssn", code: "ciphertext.malformed" },
    ]);
    expect(await ssnOf(table, "p0")).toEqual({ S: "ENC:garbage" });
  });
});
