import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type DynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable } from "../../test/support/dynamodb";
import { migrateTable } from "../../src";
import { KmsTestServer } from "../../src/testing";

interface MigrationRun {
  segments: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
  /** This process's CPU time (user + system) over wall time; the KMS test server runs in it too. */
  cpuShareOfWall: number;
  kmsCalls: Record<string, number>;
}

/** Fills a table with plaintext items (ssn, card.number, plan) by BatchWriteItem, 4 batches in flight. */
export async function fill(client: DynamoDBClient, table: string, items: number): Promise<void> {
  const batches: number[] = [];
  for (let i = 0; i < items; i += 25) batches.push(i);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const from = batches[next++]!;
        let request = Array.from({ length: Math.min(25, items - from) }, (_, j) => ({
          PutRequest: {
            Item: {
              pk: { S: `customer#${from + j}` },
              ssn: { S: `123-45-${String(from + j).padStart(4, "0")}` },
              card: { M: { number: { S: `4111-1111-1111-${from + j}` }, brand: { S: "visa" } } },
              plan: { S: "gold" },
            },
          },
        }));
        while (request.length > 0) {
          const out = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: request } }),
          );
          request = (out.UnprocessedItems?.[table] ?? []) as typeof request;
        }
      }
    }),
  );
}

/**
 * `migrateTable` on a table of plaintext items with two encrypted fields
 * (`ssn`, `card.number`) on DynamoDB Local, with 1 segment and with 4,
 * alternated (1, 4, 1, 4) in one process so that both see the same machine.
 * Reports items per second, the process's CPU share of wall time, and the KMS
 * calls (one `GenerateDataKey` per data key, not one per item).
 */
export async function migration(
  local: DynamoDBLocal,
  quick: boolean,
): Promise<Record<string, unknown>> {
  const items = quick ? 1_000 : 10_000;
  const kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/bench" });
  const kmsClient = kms.client();
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const runs: MigrationRun[] = [];
  try {
    for (const segments of [1, 4, 1, 4]) {
      const table = `bench-migrate-${Date.now().toString(36)}-${runs.length}`;
      await createTable(client, table, { partitionKey: "pk" });
      await fill(client, table, items);
      kms.resetCalls();
      const cpu = process.cpuUsage();
      const start = performance.now();
      const report = await migrateTable({
        config: {
          keyId: "alias/bench",
          kmsClient,
          tables: { [table]: { partitionKey: "pk", fields: { ssn: {}, "card.number": {} } } },
        },
        table,
        client,
        segments,
        checkpoint: { file: `/tmp/${table}.checkpoint.json` },
      });
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      if (report.items.rewritten !== items) throw new Error(`rewrote ${report.items.rewritten}`);
      runs.push({
        segments,
        items,
        seconds,
        itemsPerSecond: items / seconds,
        cpuShareOfWall: (used.user + used.system) / 1e6 / seconds,
        kmsCalls: { GenerateDataKey: kms.calls("GenerateDataKey"), Decrypt: kms.calls("Decrypt") },
      });
      console.error(
        `migration: ${segments} segment(s), ${items} items in ${seconds.toFixed(1)} s (${Math.round(items / seconds)} items/s)`,
      );
      await client.send(new DeleteTableCommand({ TableName: table }));
    }
  } finally {
    client.destroy();
    kmsClient.destroy();
    await kms.stop();
  }
  const mean = (segments: number) => {
    const rates = runs.filter((r) => r.segments === segments).map((r) => r.itemsPerSecond);
    return rates.reduce((a, b) => a + b, 0) / rates.length;
  };
  // The default cache window is 5 minutes; both fields share one key and context, so one data key per window.
  const windows = (r: MigrationRun) => Math.ceil(r.seconds / 300);
  const targets = [
    {
      description: "KMS: one GenerateDataKey per cache window, not one per item",
      met: runs.every((r) => (r.kmsCalls.GenerateDataKey ?? 0) <= windows(r)),
    },
    {
      description: "DynamoDB is the bottleneck: the tool's CPU is under half the wall time",
      met: runs.every((r) => r.cpuShareOfWall < 0.5),
    },
  ];
  return { runs, speedupOf4SegmentsOver1: mean(4) / mean(1), targets };
}
