import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { type CliRun, runCliProcess, startCli, writeMixedConfig } from "../support/migration-cli";
import { fillMixedTable, mixedKeys } from "../support/mixed-table";

jest.setTimeout(180_000);

const N = 600;
const SEGMENTS = 6;
let dir: string;
let kms: KmsTestServer;
let kmsClient: KMSClient;
let plain: DynamoDBClient;
const table = uniqueTableName("mig-workers");
const checkpoints = uniqueTableName("mig-checkpoints");
let config: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfe-workers-"));
  kms = await KmsTestServer.start();
  const keys = mixedKeys(kms);
  kmsClient = kms.client();
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  await fillMixedTable(plain, kmsClient, table, keys, N);
  config = writeMixedConfig(join(dir, "config.ts"), {
    table,
    kmsEndpoint: kms.endpoint,
    current: keys.current,
    retired: keys.retired,
  });
});

afterAll(async () => {
  await deleteTable(plain, table);
  await deleteTable(plain, checkpoints).catch(() => undefined);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function scanAll(name: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await plain.send(new ScanCommand({ TableName: name, ExclusiveStartKey }));
    out.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

/** True once the worker's lease shows in the checkpoint table with a saved page. */
async function hasSavedPage(): Promise<boolean> {
  try {
    const items = await scanAll(checkpoints);
    return items.some((i) => i.lastKey !== undefined);
  } catch {
    return false;
  }
}

describe("three workers sharing one table through a checkpoint table", () => {
  it("finish the whole table when one of them is killed with SIGKILL mid-run: its segments are taken over after the lease expires", async () => {
    const args = (k: number) => [
      "migrate",
      "--table",
      table,
      "--config",
      config,
      "--segments",
      String(SEGMENTS),
      "--worker",
      `${k}/3`,
      "--checkpoint-table",
      checkpoints,
      "--lease-seconds",
      "3",
      "--page-size",
      "10",
      "--json",
    ];
    // The worker to kill is slowed down so that it is surely mid-run.
    const victim = startCli([...args(0), "--max-rate", "20"]);
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (await hasSavedPage()) break;
    }
    const others = [startCli(args(1)), startCli(args(2))];
    victim.child.kill("SIGKILL");
    expect((await victim.done).signal).toBe("SIGKILL");
    const runs: CliRun[] = await Promise.all(others.map((o) => o.done));
    for (const run of runs) expect(run.code).toBe(3); // done; the tampered values remain
    const reports = runs.map((r) => JSON.parse(r.stdout) as { segments: { finished: number[] } });
    const finished = reports.flatMap((r) => r.segments.finished);
    // Segments 0 and 3 were the killed worker's share: the others took them over.
    expect(finished).toEqual(expect.arrayContaining([0, 3]));

    const items = await scanAll(table);
    expect(items).toHaveLength(N);
    for (const item of items) {
      expect(item.ssn!.S!.startsWith("ENC:")).toBe(true);
      expect(item.card!.M!.number!.S!.startsWith("ENC:")).toBe(true);
    }
    for (let s = 0; s < SEGMENTS; s++) {
      const got = await plain.send(
        new GetItemCommand({ TableName: checkpoints, Key: { id: { S: `migrate:${table}#${s}` } } }),
      );
      expect(got.Item?.done).toEqual({ BOOL: true });
    }
    const verify = await runCliProcess(["verify", "--table", table, "--config", config, "--json"]);
    const report = JSON.parse(verify.stdout) as {
      fields: Record<string, { plaintext: number; notCurrent: { keys: number; formats: number } }>;
    };
    for (const field of ["ssn", "card.number"])
      expect(report.fields[field]).toMatchObject({
        plaintext: 0,
        notCurrent: { keys: 0, formats: 0 },
      });
  });
});
