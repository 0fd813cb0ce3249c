/**
 * Reliability 2: KMS faults. In each case: a clear code, no partial writes (a
 * batch or transaction with one failing value sends nothing), the client works
 * again once KMS is back, and a failed KMS call is never cached as a key.
 */
import { ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import type { FieldEncryptionConfig } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool, type PluginClients } from "../support/e2e-setup";

const table = uniqueTableName("faults");
let kms: KmsTestServer;
let plain: DynamoDBClient;
const pool = pluginClientPool();

const config = (
  extra: Partial<FieldEncryptionConfig> = {},
): Omit<FieldEncryptionConfig, "kmsClient"> => ({
  keyId: "alias/faults",
  tables: {
    [table]: {
      partitionKey: "pk",
      fields: { ssn: {}, "card.number": { keyId: "alias/faults-pci" } },
    },
  },
  ...extra,
});
function clients(extra: Partial<FieldEncryptionConfig> = {}, accessKeyId = "app"): PluginClients {
  return pool.open(kms, config(extra), accessKeyId);
}
async function count(): Promise<number> {
  return (await plain.send(new ScanCommand({ TableName: table, Select: "COUNT" }))).Count ?? 0;
}
const items = (prefix: string, n = 3) =>
  Array.from({ length: n }, (_, i) => ({
    pk: `${prefix}-${i}`,
    ssn: `ssn-${i}`,
    card: { number: `card-${i}` },
  }));

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/faults" });
  kms.createKey({ alias: "alias/faults-pci" });
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
});
afterAll(async () => {
  pool.destroyAll();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});
beforeEach(async () => {
  kms.resetCalls();
  kms.failNext(0);
  kms.setLatency(0);
  kms.resetPermissions();
  await kms.setUnavailable(false);
});

describe("KMS faults", () => {
  it("throttling for fewer calls than the SDK retries succeeds", async () => {
    const app = clients();
    kms.failNext(2, "ThrottlingException", ["GenerateDataKey"]);
    await app.doc.send(new PutCommand({ TableName: table, Item: items("throttle-ok")[0] }));
    expect(
      (await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "throttle-ok-0" } }))).Item!
        .ssn,
    ).toBe("ssn-0");
  }, 20_000);

  it("throttling that outlasts the retries is kms.throttled; a batch sends nothing; the client recovers and nothing failed was cached", async () => {
    const app = clients();
    const before = await count();
    kms.failNext(100, "ThrottlingException", ["GenerateDataKey"]);
    await expect(
      app.doc.send(
        new BatchWriteCommand({
          RequestItems: { [table]: items("throttled").map((Item) => ({ PutRequest: { Item } })) },
        }),
      ),
    ).rejects.toMatchObject({ code: "kms.throttled" });
    expect(await count()).toBe(before);
    kms.failNext(0);
    kms.resetCalls();
    await app.doc.send(
      new BatchWriteCommand({
        RequestItems: { [table]: items("throttled").map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    expect(kms.calls("GenerateDataKey")).toBe(2); // one per (key, context): the failures were not cached
    expect(await count()).toBe(before + 3);
  }, 30_000);

  it("KMS unavailable (refused connections, then HTTP 500s): kms.failed, no partial transaction, recovery", async () => {
    const app = clients();
    const before = await count();
    for (const mode of ["refuse", "error500"] as const) {
      await kms.setUnavailable(mode);
      await expect(
        app.doc.send(
          new TransactWriteCommand({
            TransactItems: items(`down-${mode}`).map((Item) => ({
              Put: { TableName: table, Item },
            })),
          }),
        ),
      ).rejects.toMatchObject({ code: "kms.failed" });
      expect(await count()).toBe(before);
      await kms.setUnavailable(false);
    }
    await app.doc.send(
      new TransactWriteCommand({
        TransactItems: items("down-after").map((Item) => ({ Put: { TableName: table, Item } })),
      }),
    );
    expect(await count()).toBe(before + 3);
  }, 60_000);

  it("one failing key in a transaction sends nothing, even when the other key works", async () => {
    const app = clients();
    const before = await count();
    // Warm the first key's data key, then make only the PCI key fail.
    await app.doc.send(new PutCommand({ TableName: table, Item: { pk: "warm", ssn: "x" } }));
    kms.disableKey("alias/faults-pci");
    await expect(
      app.doc.send(
        new TransactWriteCommand({
          TransactItems: items("half").map((Item) => ({ Put: { TableName: table, Item } })),
        }),
      ),
    ).rejects.toMatchObject({ code: "kms.keyDisabled", field: "card.number" });
    expect(await count()).toBe(before + 1);
    kms.enableKey("alias/faults-pci");
    await app.doc.send(
      new TransactWriteCommand({
        TransactItems: items("half").map((Item) => ({ Put: { TableName: table, Item } })),
      }),
    );
  });

  it("latency spikes slow requests down but do not fail them, and concurrent misses still share one call", async () => {
    const app = clients();
    const before = await count();
    // Every other KMS call is held for 400 ms (how the server applies latency is tested in its unit tests).
    const delays: number[] = [];
    kms.setLatency(() => {
      const delay = delays.length % 2 ? 5 : 400;
      delays.push(delay);
      return delay;
    });
    const results = await Promise.allSettled(
      items("spike", 20).map((Item) => app.doc.send(new PutCommand({ TableName: table, Item }))),
    );
    kms.setLatency(0);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(await count()).toBe(before + 20);
    // One data key per KMS key, both made during the run, one of them held by a spike; no retries.
    expect(kms.calls("GenerateDataKey")).toBe(2);
    expect(delays).toEqual([400, 5]);
  }, 20_000);

  it("a key disabled or scheduled for deletion mid-run: kms.keyDisabled on new data keys and on reads; recovers when enabled", async () => {
    const { keyId } = kms.createKey({ alias: "alias/faults-mid" });
    const app = clients({ keyId: "alias/faults-mid", cache: false });
    await app.doc.send(new PutCommand({ TableName: table, Item: { pk: "mid", ssn: "1" } }));
    kms.disableKey(keyId);
    await expect(
      app.doc.send(new PutCommand({ TableName: table, Item: { pk: "mid2", ssn: "1" } })),
    ).rejects.toMatchObject({ code: "kms.keyDisabled" });
    await expect(
      app.doc.send(new GetCommand({ TableName: table, Key: { pk: "mid" } })),
    ).rejects.toMatchObject({ code: "kms.keyDisabled" });
    kms.enableKey(keyId);
    expect(
      (await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "mid" } }))).Item!.ssn,
    ).toBe("1");
    const deleted = kms.createKey({ alias: "alias/faults-deleted" });
    const other = clients({ keyId: "alias/faults-deleted" });
    kms.scheduleKeyDeletion(deleted.keyId);
    await expect(
      other.doc.send(new PutCommand({ TableName: table, Item: { pk: "gone", ssn: "1" } })),
    ).rejects.toMatchObject({ code: "kms.keyDisabled" });
  });

  it("access revoked mid-run: kms.accessDenied, and the client works again once it is restored", async () => {
    const app = clients({ cache: false }, "revocable");
    await app.doc.send(new PutCommand({ TableName: table, Item: { pk: "rev", ssn: "1" } }));
    kms.revokeAll("revocable");
    await expect(
      app.doc.send(new PutCommand({ TableName: table, Item: { pk: "rev2", ssn: "1" } })),
    ).rejects.toMatchObject({ code: "kms.accessDenied" });
    await expect(
      app.doc.send(new GetCommand({ TableName: table, Key: { pk: "rev" } })),
    ).rejects.toMatchObject({ code: "kms.accessDenied" });
    kms.resetPermissions("revocable");
    expect(
      (await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "rev" } }))).Item!.ssn,
    ).toBe("1");
  });
});
