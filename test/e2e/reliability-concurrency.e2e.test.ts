/**
 * Reliability 4: concurrency. Concurrent misses share one KMS call, the cache's
 * limits hold under concurrency, and nothing rejects unhandled.
 */
import { DynamoDBClient, type DynamoDBClient as Client } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { describeCiphertext, fieldEncryption, type FieldEncryptionConfig } from "../../src";
import { KmsTestServer } from "../../src/testing";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "../support/dynamodb";

const table = uniqueTableName("concurrency");
let kms: KmsTestServer;
let plain: Client;
const destroy: (() => void)[] = [];

function client(extra: Partial<FieldEncryptionConfig> = {}): DynamoDBDocumentClient {
  const kmsClient = kms.client();
  const low = new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 5,
  });
  low.middlewareStack.use(
    fieldEncryption({
      keyId: "alias/conc",
      kmsClient,
      tables: { [table]: { partitionKey: "pk", fields: { ssn: {} } } },
      ...extra,
    }),
  );
  destroy.push(() => (low.destroy(), kmsClient.destroy()));
  return DynamoDBDocumentClient.from(low);
}

beforeAll(async () => {
  kms = await KmsTestServer.start({ latencyMs: 20 });
  kms.createKey({ alias: "alias/conc" });
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
});
afterAll(async () => {
  for (const d of destroy) d();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});
beforeEach(() => kms.resetCalls());

describe("concurrency", () => {
  it("1,000 concurrent puts on a cold cache make one GenerateDataKey", async () => {
    const writer = client();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        writer.send(new PutCommand({ TableName: table, Item: { pk: `c${i}`, ssn: `ssn-${i}` } })),
      ),
    );
    expect(kms.calls("GenerateDataKey")).toBe(1);
  }, 60_000);

  it("1,000 concurrent reads of values under one wrapped key make one Decrypt", async () => {
    const reader = client();
    const items = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        reader.send(new GetCommand({ TableName: table, Key: { pk: `c${i}` } })),
      ),
    );
    expect(items.map((o) => o.Item!.ssn)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `ssn-${i}`),
    );
    expect(kms.calls("Decrypt")).toBe(1);
  }, 60_000);

  it("the use limit holds under concurrency: 300 concurrent puts with maxUses 50 use at least 6 data keys, none more than 50 times", async () => {
    const writer = client({ cache: { maxUses: 50 } });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        writer.send(new PutCommand({ TableName: table, Item: { pk: `u${i}`, ssn: `ssn-${i}` } })),
      ),
    );
    const reader = plainDynamoClient();
    destroy.push(() => reader.destroy());
    const { ScanCommand } = await import("@aws-sdk/client-dynamodb");
    const uses = new Map<string, number>();
    let cursor: Record<string, any> | undefined;
    do {
      const page = await reader.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: cursor }),
      );
      for (const item of page.Items ?? []) {
        if (!item.pk!.S!.startsWith("u")) continue;
        const fp = describeCiphertext(item.ssn!.S!).wrappedKeyFingerprint;
        uses.set(fp, (uses.get(fp) ?? 0) + 1);
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    expect([...uses.values()].reduce((a, b) => a + b, 0)).toBe(300);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(50);
    expect(kms.calls("GenerateDataKey")).toBe(uses.size);
    expect(uses.size).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it("the age limit holds under concurrency: a key older than maxAgeMs is not used again", async () => {
    // The cache reads the clock through Date.now: move it forward instead of waiting.
    const realNow = Date.now.bind(Date);
    let offset = 0;
    const clock = jest.spyOn(Date, "now").mockImplementation(() => realNow() + offset);
    try {
      const writer = client({ cache: { maxAgeMs: 60_000 } });
      const puts = (prefix: string) =>
        Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            writer.send(
              new PutCommand({ TableName: table, Item: { pk: `${prefix}${i}`, ssn: "x" } }),
            ),
          ),
        );
      await puts("a");
      expect(kms.calls("GenerateDataKey")).toBe(1);
      offset += 59_000; // still younger than maxAgeMs
      await puts("b");
      expect(kms.calls("GenerateDataKey")).toBe(1);
      offset += 1_000; // now as old as maxAgeMs
      await puts("c");
      expect(kms.calls("GenerateDataKey")).toBe(2);
    } finally {
      clock.mockRestore();
    }
  }, 30_000);

  it("concurrent failures reject their own calls and leave no unhandled rejection", async () => {
    const writer = client({ cache: false });
    kms.failNext(10_000, "AccessDeniedException");
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        writer.send(new PutCommand({ TableName: table, Item: { pk: `f${i}`, ssn: "x" } })),
      ),
    );
    kms.failNext(0);
    expect(
      results.every(
        (r) =>
          r.status === "rejected" && (r.reason as { code?: string }).code === "kms.accessDenied",
      ),
    ).toBe(true);
    // Every KMS call made was answered (one per put, no retries of AccessDenied): nothing is still in flight.
    expect(kms.calls("GenerateDataKey")).toBe(200);
    // Jest fails the running test when a rejection goes unhandled (a deliberate
    // `void Promise.reject(new Error())` here fails this test). Node reports such a
    // rejection once the microtask queue has drained: one event-loop turn lets it
    // surface while this test is still the one running.
    await new Promise((r) => setImmediate(r));
  }, 30_000);
});
