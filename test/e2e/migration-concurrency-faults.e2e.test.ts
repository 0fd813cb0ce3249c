import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import fc from "fast-check";
import { createItemEncryptor, type FieldEncryptionConfig, migrateTable } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { type PluginClients, pluginClientPool } from "../support/e2e-setup";

jest.setTimeout(240_000);

const table = uniqueTableName("mig-conc");
let dir: string;
let kms: KmsTestServer;
let kmsClient: KMSClient;
let plain: DynamoDBClient;
let app: PluginClients;
const pool = pluginClientPool();
const fields = { ssn: {}, "card.number": {} };
const config = (): FieldEncryptionConfig => ({
  keyId: "alias/app-data",
  kmsClient,
  tables: { [table]: { partitionKey: "pk", fields } },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfe-mig-conc-"));
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  kmsClient = kms.client();
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  app = pool.open(kms, {
    keyId: "alias/app-data",
    allowPlaintext: true,
    tables: { [table]: { partitionKey: "pk", fields } },
  });
});

afterAll(async () => {
  pool.destroyAll();
  await deleteTable(plain, table);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `n` plaintext items under `prefix`, as a table from before encryption holds them. */
async function plaintextItems(prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 25) {
    const items = Array.from({ length: Math.min(25, n - i) }, (_, j) => ({
      PutRequest: {
        Item: {
          pk: { S: `${prefix}#${i + j}` },
          ssn: { S: `ssn-${i + j}` },
          card: { M: { number: { S: `card-${i + j}` } } },
          n: { N: "0" },
        },
      },
    }));
    await plain.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
  }
}

async function scanPrefix(prefix: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await plain.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    out.push(...(page.Items ?? []).filter((i) => i.pk!.S!.startsWith(`${prefix}#`)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

type AppWrite =
  | { op: "putSsn"; item: number; value: string; at: number }
  | { op: "setSsn"; item: number; value: string; at: number }
  | { op: "setN"; item: number; value: number; at: number };

const ITEMS = 12;
/** An item index, or -1: the item the migration is about to write, which makes a conflict. */
const target = fc.oneof(fc.constant(-1), fc.nat(ITEMS - 1));
const appWrite: fc.Arbitrary<AppWrite> = fc.oneof(
  fc.record({
    op: fc.constant("putSsn" as const),
    item: target,
    value: fc.string({ maxLength: 8 }),
    at: fc.nat(ITEMS),
  }),
  fc.record({
    op: fc.constant("setSsn" as const),
    item: target,
    value: fc.string({ maxLength: 8 }),
    at: fc.nat(ITEMS),
  }),
  fc.record({
    op: fc.constant("setN" as const),
    item: target,
    value: fc.integer({ min: 1, max: 99 }),
    at: fc.nat(ITEMS),
  }),
);

interface Expected {
  ssn: string;
  card: { number: string } | undefined;
  n: number;
}

async function apply(
  prefix: string,
  w: AppWrite,
  model: Map<string, Expected>,
  next: string | undefined,
): Promise<void> {
  const pk = w.item === -1 ? (next ?? `${prefix}#0`) : `${prefix}#${w.item}`;
  const current = model.get(pk)!;
  if (w.op === "putSsn") {
    await app.doc.send(
      new PutCommand({ TableName: table, Item: { pk, ssn: w.value, n: current.n } }),
    );
    model.set(pk, { ssn: w.value, card: undefined, n: current.n });
  } else if (w.op === "setSsn") {
    await app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk },
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": w.value },
      }),
    );
    model.set(pk, { ...current, ssn: w.value });
  } else {
    await app.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk },
        UpdateExpression: "SET n = :v",
        ExpressionAttributeValues: { ":v": w.value },
      }),
    );
    model.set(pk, { ...current, n: w.value });
  }
}

describe("migrate while the application writes", () => {
  let run = 0;
  let conflicts = 0;
  it("property: with application writes interleaved before the migration's own writes, the final table equals the application's last writes, all encrypted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(appWrite, { maxLength: 10 }), async (writes) => {
        const prefix = `p${run++}`;
        await plaintextItems(prefix, ITEMS);
        const model = new Map<string, Expected>();
        for (let i = 0; i < ITEMS; i++)
          model.set(`${prefix}#${i}`, { ssn: `ssn-${i}`, card: { number: `card-${i}` }, n: 0 });
        // The migration's client runs the application writes scheduled for its k-th UpdateItem just before sending it: between the migration's read and its write.
        const migrationClient = plainDynamoClient();
        let updates = 0;
        const pending = [...writes];
        migrationClient.middlewareStack.add(
          (next) => async (args) => {
            if (
              args.input &&
              (args as { input: object }).input instanceof Object &&
              "UpdateExpression" in args.input
            ) {
              const k = updates++;
              const next = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S;
              for (const w of pending.filter((p) => p.at === k))
                await apply(prefix, w, model, next);
            }
            return next(args);
          },
          { step: "initialize", name: "interleaveApplicationWrites" },
        );
        const report = await migrateTable({
          config: config(),
          table,
          client: migrationClient,
          fields: ["ssn", "card.number"],
          checkpoint: { file: join(dir, `${prefix}.json`) },
          concurrency: 1,
        });
        migrationClient.destroy();
        for (const w of pending.filter((p) => p.at >= updates))
          await apply(prefix, w, model, undefined);
        conflicts += report.items.conflicts;
        expect(report.items.failed).toBe(0);
        const stored = await scanPrefix(prefix);
        expect(stored).toHaveLength(ITEMS);
        const reader = createItemEncryptor(config());
        for (const item of stored) {
          expect(item.ssn!.S!.startsWith("ENC:")).toBe(true);
          if (item.card) expect(item.card.M!.number!.S!.startsWith("ENC:")).toBe(true);
          const back = await reader.decryptItem(table, item);
          const expected = model.get(item.pk!.S!)!;
          expect(back).toEqual({
            pk: item.pk,
            ssn: { S: expected.ssn },
            n: { N: String(expected.n) },
            ...(expected.card ? { card: { M: { number: { S: expected.card.number } } } } : {}),
          });
        }
      }),
      { numRuns: 8 },
    );
    // The schedule did make the migration's conditional writes fail, and they were retried.
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe("faults", () => {
  it("KMS throttling beyond the SDK's retries: the migration retries with backoff and completes", async () => {
    await plaintextItems("kt", 60);
    kms.failNext(12, "ThrottlingException", ["GenerateDataKey"]);
    const report = await migrateTable({
      config: { ...config(), cache: false },
      table,
      client: plain,
      fields: ["ssn"],
      checkpoint: { file: join(dir, "kt.json") },
      pageSize: 20,
    });
    expect(report.status).toBe("ok");
    expect(report.items.failed).toBe(0);
    expect((await scanPrefix("kt")).every((i) => i.ssn!.S!.startsWith("ENC:"))).toBe(true);
  });

  it("DynamoDB throttling on scans and writes: retried with backoff, the migration completes", async () => {
    await plaintextItems("dt", 60);
    const client = plainDynamoClient();
    let calls = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (calls++ % 3 === 1) {
          const error = new Error("Rate of requests exceeds the allowed throughput.");
          error.name = "ProvisionedThroughputExceededException";
          throw error;
        }
        return next(args);
      },
      { step: "initialize", name: "throttleEveryThirdCall" },
    );
    const report = await migrateTable({
      config: config(),
      table,
      client,
      fields: ["ssn"],
      checkpoint: { file: join(dir, "dt.json") },
      pageSize: 20,
    });
    client.destroy();
    expect(report.status).toBe("ok");
    expect(calls).toBeGreaterThan(10);
    expect((await scanPrefix("dt")).every((i) => i.ssn!.S!.startsWith("ENC:"))).toBe(true);
  });

  it("a KMS outage stops the run cleanly with a resumable checkpoint; --resume then finishes", async () => {
    await plaintextItems("ko", 60);
    const checkpoint = join(dir, "ko.json");
    await kms.setUnavailable("error500");
    const stopped = await migrateTable({
      config: { ...config(), cache: false },
      table,
      client: plain,
      fields: ["ssn"],
      checkpoint: { file: checkpoint },
      pageSize: 20,
      retries: 1,
    });
    await kms.setUnavailable(false);
    expect(stopped.status).toBe("failed");
    expect(stopped.error?.code).toBe("kms.failed");
    expect(existsSync(checkpoint)).toBe(true);
    expect((await scanPrefix("ko")).some((i) => i.ssn!.S!.startsWith("ENC:"))).toBe(false);
    const resumed = await migrateTable({
      config: config(),
      table,
      client: plain,
      fields: ["ssn"],
      checkpoint: { file: checkpoint },
      pageSize: 20,
      resume: true,
    });
    expect(resumed.status).toBe("ok");
    expect((await scanPrefix("ko")).every((i) => i.ssn!.S!.startsWith("ENC:"))).toBe(true);
  });
});
