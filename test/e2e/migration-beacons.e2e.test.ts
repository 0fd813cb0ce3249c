/**
 * The migration tool and beacons (issue 15 on the tool of issue 14): `verify`
 * finds missing, stale and orphaned beacons, `migrate --only beacons` repairs
 * them with conditional writes, and the default `migrate` writes a beacon in
 * the same UpdateItem as the value it encrypts. Each test has a table of its
 * own on DynamoDB Local, with a GSI keyed on the beacon attribute, and the
 * project's KMS test server behind the real `@aws-sdk/client-kms`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  type BeaconKeyOptions,
  computeBeacons,
  createBeaconKey,
  type FieldEncryptionConfig,
  KmsKeyProvider,
  type MigrationProgress,
  type MigrationReport,
  migrateTable,
  verifyTable,
} from "../../src";
import { conditionalWrite } from "../../src/migration/conditional-write";
import { emptyWrite } from "../../src/migration/item-rewrite";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool } from "../support/e2e-setup";
import { runCliProcess } from "../support/migration-cli";

jest.setTimeout(120_000);

const INDEX = "email-index";
let kms: KmsTestServer;
let plain: DynamoDBClient;
let kmsClient: ReturnType<KmsTestServer["client"]>;
let beaconKey: BeaconKeyOptions;
let dir: string;
const pool = pluginClientPool();
const tables: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfe-migrate-beacons-"));
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  kms.createKey({ alias: "alias/acme" });
  kms.createKey({ alias: "alias/globex" });
  plain = plainDynamoClient();
  kmsClient = kms.client({ accessKeyId: "tool" });
  beaconKey = await createBeaconKey(new KmsKeyProvider({ client: kmsClient }), "alias/app-data");
});

afterAll(async () => {
  pool.destroyAll();
  for (const t of tables) await deleteTable(plain, t);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A new table (pk) with a GSI on the email's beacon attribute. */
async function newTable(prefix: string): Promise<string> {
  const table = uniqueTableName(prefix);
  tables.push(table);
  await createTable(plain, table, {
    partitionKey: "pk",
    indexes: [{ name: INDEX, partitionKey: "email__beacon" }],
  });
  return table;
}

/** The application's config: `email` without a beacon (before) or with one (after); plaintext readable while it migrates. */
function config(
  table: string,
  beacon: boolean,
  options: { allowPlaintext?: boolean; beaconKey?: BeaconKeyOptions; logicalName?: string } = {},
): Omit<FieldEncryptionConfig, "kmsClient"> {
  return {
    keyId: "alias/app-data",
    beaconKey: options.beaconKey ?? beaconKey,
    tables: {
      [table]: {
        partitionKey: "pk",
        ...(options.logicalName !== undefined ? { logicalName: options.logicalName } : {}),
        fields: {
          email: {
            allowPlaintext: options.allowPlaintext ?? true,
            ...(beacon ? { beacon: { length: 16, normalize: "lowercase", index: INDEX } } : {}),
          },
          ssn: {},
        },
      },
    },
  };
}
/** The tool's view of the same config. */
const toolConfig = (table: string, options: Parameters<typeof config>[2] = {}) => ({
  ...config(table, true, options),
  kmsClient,
});
const checkpoint = (table: string) => ({
  file: join(dir, `${table}-${Math.random().toString(36).slice(2)}.checkpoint.json`),
});

async function raw(table: string, pk: string): Promise<Record<string, AttributeValue>> {
  return (
    await plain.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item!;
}
async function rawScan(table: string): Promise<Record<string, AttributeValue>[]> {
  return (await plain.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items!;
}
/** The beacon the plugin writes for an email of this table. */
async function beaconOf(table: string, email: string): Promise<string> {
  return (await computeBeacons(toolConfig(table), table, { pk: { S: "x" }, email: { S: email } }))
    .beacons.email__beacon!.S;
}
/** The primary keys a Query by email on the beacon GSI returns, through the plugin. */
async function lookup(table: string, email: string): Promise<string[]> {
  const { doc } = pool.open(kms, config(table, true));
  const out = await doc.send(
    new QueryCommand({
      TableName: table,
      IndexName: INDEX,
      KeyConditionExpression: "email = :e",
      ExpressionAttributeValues: { ":e": email },
    }),
  );
  return (out.Items ?? []).map((i) => i.pk as string).sort();
}
const beacons = (report: MigrationReport) => report.fields.email!.beacons!;

describe("verify and migrate --only beacons", () => {
  it("a table written before the beacon was configured: verify reports the missing beacons, migrate --only beacons writes only them, then verify passes and a Query by the beacon GSI finds the old items", async () => {
    const table = await newTable("mig-bcn-missing");
    const { doc } = pool.open(kms, config(table, false));
    for (const [pk, email] of [
      ["u1", "alice@x"],
      ["u2", "Alice@X"],
      ["u3", "bob@x"],
    ])
      await doc.send(new PutCommand({ TableName: table, Item: { pk, email, ssn: "1" } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "u4", ssn: "2" } }));
    expect(await lookup(table, "alice@x")).toEqual([]);

    const before = await verifyTable({ config: toolConfig(table), table, client: plain });
    expect(before.status).toBe("notCurrent");
    expect(beacons(before)).toMatchObject({
      attribute: "email__beacon",
      current: 0,
      missing: 3,
      stale: 0,
      orphan: 0,
      absent: 1,
      uncheckable: {},
    });
    expect(before.items).toMatchObject({ notCurrent: 3, current: 1 });
    expect(before.fields.ssn!.beacons).toBeUndefined();
    // The values themselves are current: only the beacons fail the check.
    expect(
      (await verifyTable({ config: toolConfig(table), table, client: plain, only: ["plaintext"] }))
        .status,
    ).toBe("ok");

    const valuesBefore = (await rawScan(table)).map((i) => [i.pk!.S, i.email, i.ssn]);
    let progress: MigrationProgress | undefined;
    const migrated = await migrateTable({
      config: toolConfig(table),
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
      onProgress: (p) => (progress = p),
    });
    expect(migrated.status).toBe("ok");
    expect(progress!.beacons).toEqual({ toRepair: 3, repaired: 3 });
    expect(migrated.items).toMatchObject({ rewritten: 3, current: 1, conflicts: 0, failed: 0 });
    expect(beacons(migrated)).toMatchObject({ written: 3, removed: 0 });
    expect(migrated.fields.email!.rewritten).toBe(0);
    const after = await rawScan(table);
    // Values byte for byte as they were; beacons beside them; no plaintext stored.
    expect(after.map((i) => [i.pk!.S, i.email, i.ssn])).toEqual(valuesBefore);
    expect(JSON.stringify(after)).not.toMatch(/alice|bob/i);
    expect((await raw(table, "u1")).email__beacon).toEqual({ S: await beaconOf(table, "alice@x") });
    expect((await raw(table, "u4")).email__beacon).toBeUndefined();

    const check = await verifyTable({ config: toolConfig(table), table, client: plain });
    expect(check.status).toBe("ok");
    expect(beacons(check)).toMatchObject({ current: 3, missing: 0, absent: 1 });
    expect(await lookup(table, "alice@x")).toEqual(["u1", "u2"]);
    expect(await lookup(table, "BOB@x")).toEqual(["u3"]);
  });

  it("the default migrate encrypts a plaintext value and writes its beacon in the same conditional UpdateItem", async () => {
    const table = await newTable("mig-bcn-default");
    await plain.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: "p1" }, email: { S: "carol@x" } } }),
    );
    const before = await verifyTable({ config: toolConfig(table), table, client: plain });
    expect(before.fields.email).toMatchObject({ plaintext: 1 });
    expect(beacons(before)).toMatchObject({ missing: 1 });

    const client = plainDynamoClient();
    const updates: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (input.UpdateExpression !== undefined) updates.push(input.UpdateExpression);
        return next(args);
      },
      { step: "initialize", name: "countUpdates" },
    );
    const migrated = await migrateTable({
      config: toolConfig(table),
      table,
      client,
      checkpoint: checkpoint(table),
    });
    client.destroy();
    expect(migrated.status).toBe("ok");
    expect(updates).toEqual(["SET #a0 = :n0, #a1 = :n1"]);
    expect(migrated.fields.email).toMatchObject({ rewritten: 1 });
    expect(beacons(migrated)).toMatchObject({ written: 1 });
    const stored = await raw(table, "p1");
    expect(stored.email!.S!.startsWith("ENC:")).toBe(true);
    expect(stored.email__beacon).toEqual({ S: await beaconOf(table, "carol@x") });
    expect(await lookup(table, "carol@x")).toEqual(["p1"]);
    expect((await verifyTable({ config: toolConfig(table), table, client: plain })).status).toBe(
      "ok",
    );
  });

  it("stale beacons (another value's beacon, a field written without the plugin) are detected and rewritten; an orphaned beacon is removed", async () => {
    const table = await newTable("mig-bcn-stale");
    const { doc } = pool.open(kms, config(table, true));
    for (const [pk, email] of [
      ["s1", "dave@x"],
      ["s2", "erin@x"],
      ["o1", "frank@x"],
      ["c1", "gus@x"],
    ])
      await doc.send(new PutCommand({ TableName: table, Item: { pk, email } }));
    const update = (pk: string, expression: string, values?: Record<string, AttributeValue>) =>
      plain.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: pk } },
          UpdateExpression: expression,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    await update("s1", "SET email__beacon = :b", { ":b": (await raw(table, "s2")).email__beacon! });
    await update("s2", "SET email = :e", { ":e": { S: "gina@x" } }); // without the plugin
    await update("o1", "REMOVE email");

    const before = await verifyTable({
      config: toolConfig(table),
      table,
      client: plain,
      only: ["beacons"],
    });
    expect(before.status).toBe("notCurrent");
    expect(beacons(before)).toMatchObject({ current: 1, missing: 0, stale: 2, orphan: 1 });
    expect(await lookup(table, "dave@x")).toEqual([]); // a stale beacon hides the item

    const migrated = await migrateTable({
      config: toolConfig(table),
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    expect(migrated.status).toBe("ok");
    expect(beacons(migrated)).toMatchObject({ written: 2, removed: 1 });
    expect(migrated.items).toMatchObject({ rewritten: 3, current: 1 });
    expect((await raw(table, "o1")).email__beacon).toBeUndefined();
    expect((await raw(table, "s2")).email).toEqual({ S: "gina@x" }); // --only beacons: the value is left
    expect(await lookup(table, "dave@x")).toEqual(["s1"]);
    expect(await lookup(table, "gina@x")).toEqual(["s2"]);
    expect(await lookup(table, "erin@x")).toEqual([]);
    const after = await verifyTable({
      config: toolConfig(table),
      table,
      client: plain,
      only: ["beacons"],
    });
    expect(after.status).toBe("ok");
    expect(beacons(after)).toMatchObject({ current: 3, stale: 0, orphan: 0, absent: 1 });
  });

  it("an application write between the migration's read and its write is not overwritten: the write is conditional on the field and the beacon as read", async () => {
    const table = await newTable("mig-bcn-conflict");
    const { doc } = pool.open(kms, config(table, false));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "k1", email: "hank@x" } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "k2", email: "ivy@x" } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "k3", email: "kim@x" } }));
    const app = pool.open(kms, config(table, true));
    const client = plainDynamoClient();
    const done = new Set<string>();
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string; Key?: { pk?: { S?: string } } };
        const pk = input.Key?.pk?.S;
        if (input.UpdateExpression !== undefined && pk !== undefined && !done.has(pk)) {
          done.add(pk);
          // k1: someone writes the field without the plugin (the beacon attribute is untouched);
          // k2: the application writes a new value, and its beacon, through the plugin.
          // k3: the application deletes the item.
          if (pk === "k3")
            await plain.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "k3" } } }));
          else if (pk === "k1")
            await plain.send(
              new UpdateItemCommand({
                TableName: table,
                Key: { pk: { S: "k1" } },
                UpdateExpression: "SET email = :e",
                ExpressionAttributeValues: { ":e": { S: "jill@x" } },
              }),
            );
          else
            await app.doc.send(
              new PutCommand({ TableName: table, Item: { pk: "k2", email: "kate@x" } }),
            );
        }
        return next(args);
      },
      { step: "initialize", name: "applicationWritesFirst" },
    );
    const migrated = await migrateTable({
      config: toolConfig(table),
      table,
      client,
      only: ["beacons"],
      concurrency: 1,
      checkpoint: checkpoint(table),
    });
    client.destroy();
    expect(migrated.items).toMatchObject({ conflicts: 3, failed: 0 });
    expect(await raw(table, "k3")).toBeUndefined(); // not re-created by the migration's write
    expect(migrated.status).toBe("ok");
    expect((await raw(table, "k1")).email__beacon).toEqual({ S: await beaconOf(table, "jill@x") });
    expect((await raw(table, "k2")).email__beacon).toEqual({ S: await beaconOf(table, "kate@x") });
    expect(await lookup(table, "hank@x")).toEqual([]);
    expect(await lookup(table, "jill@x")).toEqual(["k1"]);
    expect(await lookup(table, "kate@x")).toEqual(["k2"]);
  });

  it("--only beacons on fields without a beacon is refused before anything is read", async () => {
    const table = await newTable("mig-bcn-refuse");
    await expect(
      migrateTable({
        config: toolConfig(table),
        table,
        client: plain,
        only: ["beacons"],
        fields: ["ssn"],
        checkpoint: checkpoint(table),
      }),
    ).rejects.toMatchObject({ code: "migration.optionsInvalid" });
  });
});

describe("review regressions", () => {
  it("F1: a checkpoint is not resumed with another beacon key under the same KMS key, nor with another logicalName (either changes every beacon)", async () => {
    const table = await newTable("mig-bcn-resume");
    for (const pk of ["a", "b", "c"])
      await plain.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, email: { S: `${pk}@x` } } }),
      );
    const file = checkpoint(table);
    const stop = new AbortController();
    const first = await migrateTable({
      config: toolConfig(table),
      table,
      client: plain,
      pageSize: 1,
      checkpoint: file,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    expect(first.status).toBe("interrupted");
    const otherKey = await createBeaconKey(
      new KmsKeyProvider({ client: kmsClient }),
      "alias/app-data",
    );
    for (const changed of [{ beaconKey: otherKey }, { logicalName: "users-v2" }])
      await expect(
        migrateTable({
          config: toolConfig(table, changed),
          table,
          client: plain,
          pageSize: 1,
          checkpoint: file,
          resume: true,
        }),
      ).rejects.toMatchObject({ code: "migration.checkpointMismatch" });
  });

  it("F3: a fresh migrate that leaves a value beacons cannot cover reports notCurrent, lists the item, writes nothing for it, and has no note about resumed pages", async () => {
    const table = await newTable("mig-bcn-bool");
    await plain.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: "b1" }, email: { BOOL: true } } }),
    );
    const migrated = await migrateTable({
      config: toolConfig(table),
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    expect(migrated.status).toBe("notCurrent");
    expect(beacons(migrated).uncheckable).toEqual({ "beacon.unsupportedValue": 1 });
    expect(migrated.undecryptable).toEqual([
      { key: { pk: { S: "b1" } }, field: "email", code: "beacon.unsupportedValue" },
    ]);
    expect(migrated.notes).toEqual([]);
    expect(await raw(table, "b1")).toEqual({ pk: { S: "b1" }, email: { BOOL: true } });
  });

  it("F2: --only beacons leaves the beacon of a plaintext value unwritten when the field does not allow plaintext (a lookup meeting it would fail), counts and notes it; the default run then writes it with the encrypted value", async () => {
    const table = await newTable("mig-bcn-strict");
    const strict = { allowPlaintext: false };
    await pool
      .open(kms, config(table, false, strict))
      .doc.send(new PutCommand({ TableName: table, Item: { pk: "e1", email: "amy@x" } }));
    await plain.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: "p1" }, email: { S: "zoe@x" } } }),
    );
    const beaconsOnly = await migrateTable({
      config: toolConfig(table, strict),
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    expect(beacons(beaconsOnly)).toMatchObject({ missing: 2, written: 1, deferred: 1 });
    expect(beaconsOnly.status).toBe("notCurrent"); // a pipeline must not switch lookups on yet
    expect(beaconsOnly.notes.join(" ")).toContain("1 beacons of plaintext values were not written");
    expect((await raw(table, "p1")).email__beacon).toBeUndefined();
    const strictLookup = pool.open(kms, config(table, true, strict)).doc;
    const query = (email: string) =>
      strictLookup.send(
        new QueryCommand({
          TableName: table,
          IndexName: INDEX,
          KeyConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":e": email },
        }),
      );
    expect((await query("amy@x")).Items!.map((i) => i.pk)).toEqual(["e1"]);

    const all = await migrateTable({
      config: toolConfig(table, strict),
      table,
      client: plain,
      checkpoint: checkpoint(table),
    });
    expect(beacons(all)).toMatchObject({ written: 1, deferred: 0 });
    expect(all.status).toBe("ok");
    expect((await raw(table, "p1")).email!.S!.startsWith("ENC:")).toBe(true);
    expect((await query("zoe@x")).Items!.map((i) => i.email)).toEqual(["zoe@x"]);
    expect(
      (await verifyTable({ config: toolConfig(table, strict), table, client: plain })).status,
    ).toBe("ok");
  });
});

describe("review regressions (2)", () => {
  it("F6: a beacon deferred only on a conflict's re-read (a plaintext value written meanwhile without the plugin) is counted, and the run ends notCurrent", async () => {
    const table = await newTable("mig-bcn-race");
    const strict = { allowPlaintext: false };
    await pool
      .open(kms, config(table, false, strict))
      .doc.send(new PutCommand({ TableName: table, Item: { pk: "r1", email: "ray@x" } }));
    const client = plainDynamoClient();
    let raced = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (!raced && (args.input as { UpdateExpression?: string }).UpdateExpression) {
          raced = true;
          await plain.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: { S: "r1" } },
              UpdateExpression: "SET email = :e",
              ExpressionAttributeValues: { ":e": { S: "legacy@x" } },
            }),
          );
        }
        return next(args);
      },
      { step: "initialize", name: "legacyWriterFirst" },
    );
    const migrated = await migrateTable({
      config: toolConfig(table, strict),
      table,
      client,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    client.destroy();
    expect(migrated.items).toMatchObject({ conflicts: 1, current: 0, notCurrent: 1 });
    expect(beacons(migrated)).toMatchObject({ missing: 1, written: 0, deferred: 1 });
    expect(migrated.status).toBe("notCurrent");
    expect((await raw(table, "r1")).email__beacon).toBeUndefined();
  });
});

describe("conditionalWrite", () => {
  it("a write conditional only on absences never creates an item that does not exist (the item must still exist)", async () => {
    const table = await newTable("mig-bcn-exists");
    const write = emptyWrite({ pk: { S: "gone" } });
    write.expect.set("email", undefined);
    write.expect.set("email__beacon", undefined);
    write.sets.set("email__beacon", { S: "abcd" });
    expect(await conditionalWrite(plain, table, write, (v) => v)).toMatchObject({ written: false });
    expect(await raw(table, "gone")).toBeUndefined();
  });
});

describe("beacons with per-tenant keys", () => {
  it("each item's value is decrypted under its own tenant's key; beacons are per table and field, so equal values of two tenants share one and a lookup finds both", async () => {
    const table = await newTable("mig-bcn-tenants");
    const tenantConfig = (beacon: boolean): Omit<FieldEncryptionConfig, "kmsClient"> => ({
      beaconKey,
      tables: {
        [table]: {
          partitionKey: "pk",
          keyId: { attribute: "tenantId", keys: { acme: "alias/acme", globex: "alias/globex" } },
          context: { tenant: { attribute: "tenantId" } },
          fields: {
            email: beacon ? { beacon: { length: 16, normalize: "lowercase", index: INDEX } } : {},
          },
        },
      },
    });
    const { doc } = pool.open(kms, tenantConfig(false));
    for (const [pk, tenantId, email] of [
      ["a1", "acme", "same@x"],
      ["a2", "acme", "other@x"],
      ["g1", "globex", "same@x"],
    ])
      await doc.send(new PutCommand({ TableName: table, Item: { pk, tenantId, email } }));
    const tool = { ...tenantConfig(true), kmsClient };
    const before = await verifyTable({ config: tool, table, client: plain });
    expect(before.fields.email).toMatchObject({ current: 3, notCurrent: { keys: 0, formats: 0 } });
    expect(beacons(before)).toMatchObject({ missing: 3, uncheckable: {} });

    const migrated = await migrateTable({
      config: tool,
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    expect(beacons(migrated)).toMatchObject({ written: 3 });
    expect((await raw(table, "a1")).email__beacon).toEqual((await raw(table, "g1")).email__beacon);
    expect((await verifyTable({ config: tool, table, client: plain })).status).toBe("ok");
    // A ciphertext copied from an acme item into a globex item opens under no key the globex item allows: its beacon is not checkable and left as it is.
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: "g2" },
          tenantId: { S: "globex" },
          email: (await raw(table, "a1")).email!,
          email__beacon: { S: "0000" },
        },
      }),
    );
    const copied = await verifyTable({ config: tool, table, client: plain, only: ["beacons"] });
    expect(copied.status).toBe("notCurrent");
    expect(beacons(copied)).toMatchObject({ current: 3, stale: 0 });
    expect(Object.values(beacons(copied).uncheckable)).toEqual([1]);
    const again = await migrateTable({
      config: tool,
      table,
      client: plain,
      only: ["beacons"],
      checkpoint: checkpoint(table),
    });
    expect(again.status).toBe("notCurrent");
    expect(beacons(again)).toMatchObject({ written: 0, removed: 0 });
    expect((await raw(table, "g2")).email__beacon).toEqual({ S: "0000" });
    await plain.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "g2" } } }));
    const { doc: reader } = pool.open(kms, tenantConfig(true));
    const found = await reader.send(
      new QueryCommand({
        TableName: table,
        IndexName: INDEX,
        KeyConditionExpression: "email = :e",
        ExpressionAttributeValues: { ":e": "same@x" },
      }),
    );
    expect(found.Items!.map((i) => `${i.pk as string}:${i.email as string}`).sort()).toEqual([
      "a1:same@x",
      "g1:same@x",
    ]);
  });
});

describe("the CLI with beacons", () => {
  it("verify exits 3 with the beacon counts in --json and in its summary, migrate --only beacons exits 0, verify then exits 0; --only beacons without beaconed fields exits 2", async () => {
    const table = await newTable("mig-bcn-cli");
    const { doc } = pool.open(kms, config(table, false));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "c1", email: "lee@x" } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "c2", email: "max@x" } }));
    const file = join(dir, `${table}.config.ts`);
    const kmsModule = require.resolve("@aws-sdk/client-kms");
    writeFileSync(
      file,
      `import { KMSClient } from ${JSON.stringify(kmsModule)};\n` +
        `const kmsClient = new KMSClient({ endpoint: ${JSON.stringify(kms.endpoint)}, region: "us-east-1", credentials: { accessKeyId: "cli", secretAccessKey: "cli" } });\n` +
        `export default { ...${JSON.stringify(config(table, true))}, kmsClient };\n`,
    );
    const common = ["--table", table, "--config", file];
    const first = await runCliProcess(["verify", ...common, "--json"]);
    expect(first.code).toBe(3);
    const report = JSON.parse(first.stdout) as MigrationReport;
    expect(report.only).toContain("beacons");
    expect(report.fields.email!.beacons).toMatchObject({
      attribute: "email__beacon",
      missing: 2,
      stale: 0,
      orphan: 0,
    });
    const human = await runCliProcess(["verify", ...common]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(
      "beacon email__beacon: 0 current, 2 missing, 0 stale, 0 orphan, 0 not checkable",
    );
    expect(human.stdout).not.toMatch(/lee@|max@/);
    // Nor any beacon, which would tell which items hold equal values.
    const lee = await beaconOf(table, "lee@x");
    const max = await beaconOf(table, "max@x");
    for (const out of [first.stdout, first.stderr, human.stdout, human.stderr])
      expect(out.includes(lee) || out.includes(max)).toBe(false);
    // Values only: the missing beacons are out of scope.
    expect((await runCliProcess(["verify", ...common, "--only", "plaintext,keys"])).code).toBe(0);

    const migrate = await runCliProcess([
      "migrate",
      ...common,
      "--only",
      "beacons",
      "--checkpoint",
      join(dir, `${table}.checkpoint.json`),
    ]);
    expect(migrate.code).toBe(0);
    const saved = readFileSync(join(dir, `${table}.checkpoint.json`), "utf8");
    for (const out of [migrate.stdout, migrate.stderr, saved])
      expect(out.includes(lee) || out.includes(max)).toBe(false);
    expect(migrate.stdout).toContain("beacon email__beacon:");
    expect(migrate.stdout).toContain("; 2 written, 0 removed");
    const second = await runCliProcess(["verify", ...common, "--only", "beacons"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("beacon email__beacon: 2 current, 0 missing");

    const refused = await runCliProcess([
      "migrate",
      ...common,
      "--only",
      "beacons",
      "--fields",
      "ssn",
      "--dry-run",
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("no field in scope has a beacon");
  });
});
