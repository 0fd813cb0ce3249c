import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { runCliProcess, startCli, writeMixedConfig } from "../support/migration-cli";
import { fillMixedTable, type MixedKeys, mixedKeys, type MixedKind } from "../support/mixed-table";

jest.setTimeout(180_000);

let dir: string;
let kms: KmsTestServer;
let kmsClient: KMSClient;
let plain: DynamoDBClient;
let keys: MixedKeys;
const tables: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfe-migrate-cli-"));
  kms = await KmsTestServer.start();
  keys = mixedKeys(kms);
  kmsClient = kms.client();
  plain = plainDynamoClient();
});

afterAll(async () => {
  for (const t of tables) await deleteTable(plain, t);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A new mixed table of `n` items and its config module. */
async function mixedTable(
  prefix: string,
  n: number,
): Promise<{ table: string; config: string; counts: Record<MixedKind, number> }> {
  const table = uniqueTableName(prefix);
  tables.push(table);
  await createTable(plain, table, { partitionKey: "pk" });
  const counts = await fillMixedTable(plain, kmsClient, table, keys, n);
  const config = writeMixedConfig(join(dir, `${table}.ts`), {
    table,
    kmsEndpoint: kms.endpoint,
    current: keys.current,
    retired: keys.retired,
  });
  return { table, config, counts };
}

async function scanAll(table: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await plain.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    out.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out.sort((a, b) => a.pk!.S!.localeCompare(b.pk!.S!));
}

const noPlaintext = (items: Record<string, AttributeValue>[]) =>
  items.every((i) => i.ssn!.S!.startsWith("ENC:") && i.card!.M!.number!.S!.startsWith("ENC:"));

describe("dynamodb-field-encryption verify, migrate and keys", () => {
  it("verify exits 3 with counts, migrate exits 3 leaving the tampered values, keys lists what is left, all with --json", async () => {
    const { table, config, counts } = await mixedTable("mig-cli", 200);
    const common = ["--table", table, "--config", config];
    const first = await runCliProcess(["verify", ...common, "--json"]);
    expect(first.code).toBe(3);
    const before = JSON.parse(first.stdout) as {
      status: string;
      fields: Record<string, { plaintext: number }>;
    };
    expect(before.status).toBe("notCurrent");
    expect(before.fields.ssn!.plaintext).toBe(counts.plaintext);

    const migrate = await runCliProcess([
      "migrate",
      ...common,
      "--segments",
      "3",
      "--checkpoint",
      join(dir, `${table}.json`),
    ]);
    expect(migrate.code).toBe(3);
    expect(migrate.stdout).toContain(`migrate ${table}: notCurrent`);
    expect(migrate.stdout).toContain(
      `items: ${200 - counts.current - counts.tampered} rewritten, ${counts.current} current, ${counts.tampered} with undecryptable values left`,
    );
    expect(migrate.stdout).not.toMatch(/ssn-\d|4111-/);

    const keysRun = await runCliProcess(["keys", ...common, "--json"]);
    expect(keysRun.code).toBe(0);
    expect(
      (JSON.parse(keysRun.stdout) as { keys: { keyId: string }[] }).keys.map((k) => k.keyId),
    ).toEqual([keys.current]);

    const onlyPlain = await runCliProcess(["verify", ...common, "--fields", "card.number"]);
    expect(onlyPlain.code).toBe(0);
    expect(onlyPlain.stdout).toContain(`verify ${table}: ok`);
  });

  it("resumes after SIGKILL mid-run and finishes with the same final state and no plaintext", async () => {
    const { table, config } = await mixedTable("mig-kill", 400);
    const checkpoint = join(dir, `${table}.json`);
    const args = [
      "migrate",
      "--table",
      table,
      "--config",
      config,
      "--checkpoint",
      checkpoint,
      "--segments",
      "2",
      "--page-size",
      "10",
    ];
    const { child, done } = startCli([...args, "--max-rate", "60"]);
    // Kill it once the checkpoint shows a finished page.
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(checkpoint) && readFileSync(checkpoint, "utf8").includes("lastKey")) break;
    }
    child.kill("SIGKILL");
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    const half = await scanAll(table);
    expect(noPlaintext(half)).toBe(false); // it really stopped mid-run

    const resumed = await runCliProcess([...args, "--resume", "--json"]);
    expect(resumed.code).toBe(3); // the tampered values remain
    const report = JSON.parse(resumed.stdout) as { items: { scanned: number; failed: number } };
    expect(report.items.failed).toBe(0);
    expect(report.items.scanned).toBeLessThan(400);
    const after = await scanAll(table);
    expect(noPlaintext(after)).toBe(true);
    const verify = await runCliProcess(["verify", "--table", table, "--config", config, "--json"]);
    const counts = JSON.parse(verify.stdout) as {
      fields: Record<
        string,
        {
          plaintext: number;
          notCurrent: { keys: number; formats: number };
          undecryptable: Record<string, number>;
        }
      >;
    };
    for (const field of ["ssn", "card.number"])
      expect(counts.fields[field]).toMatchObject({
        plaintext: 0,
        notCurrent: { keys: 0, formats: 0 },
      });
    expect(counts.fields.ssn!.undecryptable).toEqual({ "ciphertext.tampered": 2 });
  });

  it("on SIGINT finishes the page in flight, saves the checkpoint and exits 130; --resume finishes", async () => {
    const { table, config } = await mixedTable("mig-int", 200);
    const checkpoint = join(dir, `${table}.json`);
    const args = [
      "migrate",
      "--table",
      table,
      "--config",
      config,
      "--checkpoint",
      checkpoint,
      "--page-size",
      "10",
    ];
    const { child, done } = startCli([...args, "--max-rate", "40"]);
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(checkpoint) && readFileSync(checkpoint, "utf8").includes("lastKey")) break;
    }
    child.kill("SIGINT");
    const stopped = await done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain(`migrate ${table}: interrupted`);
    const saved = JSON.parse(readFileSync(checkpoint, "utf8")) as {
      segments: Record<string, { done: boolean }>;
    };
    expect(saved.segments[0]!.done).toBe(false);
    const resumed = await runCliProcess([...args, "--resume"]);
    expect(resumed.code).toBe(3);
    expect(noPlaintext(await scanAll(table))).toBe(true);
  });

  describe("bad input: a clear message, exit 2, nothing written", () => {
    let table: string;
    let config: string;
    let before: Record<string, AttributeValue>[];
    beforeAll(async () => {
      ({ table, config } = await mixedTable("mig-bad", 20));
      before = await scanAll(table);
    });
    afterEach(async () => {
      expect(await scanAll(table)).toEqual(before);
    });

    it("an unknown table (configured, but not in DynamoDB)", async () => {
      const missing = `${table}-missing`;
      const other = writeMixedConfig(join(dir, "missing.ts"), {
        table: missing,
        kmsEndpoint: kms.endpoint,
        current: keys.current,
        retired: keys.retired,
      });
      const run = await runCliProcess(["migrate", "--table", missing, "--config", other]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`DynamoDB has no table "${missing}"`);
    });

    it("a table not in the config", async () => {
      const run = await runCliProcess(["migrate", "--table", "Elsewhere", "--config", config]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('No table "Elsewhere" in the config');
    });

    it("a config that does not load", async () => {
      writeFileSync(join(dir, "broken.ts"), "export default {\n");
      const run = await runCliProcess([
        "migrate",
        "--table",
        table,
        "--config",
        join(dir, "broken.ts"),
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("could not be loaded");
    });

    it("a checkpoint from another table, and one from another config", async () => {
      const { table: other, config: otherConfig } = await mixedTable("mig-other", 5);
      const checkpoint = join(dir, `${other}.json`);
      const made = await runCliProcess([
        "migrate",
        "--table",
        other,
        "--config",
        otherConfig,
        "--checkpoint",
        checkpoint,
      ]);
      expect(made.code).toBe(3);
      const run = await runCliProcess([
        "migrate",
        "--table",
        table,
        "--config",
        config,
        "--checkpoint",
        checkpoint,
        "--resume",
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/belongs to another run \(its table, tableId differ/);
      const narrower = await runCliProcess([
        "migrate",
        "--table",
        other,
        "--config",
        otherConfig,
        "--checkpoint",
        checkpoint,
        "--resume",
        "--fields",
        "ssn",
      ]);
      expect(narrower.code).toBe(2);
      expect(narrower.stderr).toMatch(/belongs to another run \(its fingerprint differs/);
    });

    it("a --worker outside its range, and a malformed one", async () => {
      const run = await runCliProcess([
        "migrate",
        "--table",
        table,
        "--config",
        config,
        "--segments",
        "3",
        "--worker",
        "3/3",
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("the worker index must be from 0 to 2");
      const malformed = await runCliProcess([
        "migrate",
        "--table",
        table,
        "--config",
        config,
        "--worker",
        "1-3",
      ]);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain("expected k/W");
    });

    it("--resume without a checkpoint", async () => {
      const run = await runCliProcess([
        "migrate",
        "--table",
        table,
        "--config",
        config,
        "--checkpoint",
        join(dir, "none.json"),
        "--resume",
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("there is no checkpoint at");
    });
  });
});
