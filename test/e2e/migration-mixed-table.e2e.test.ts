import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttributeValue, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { fieldEncryption, listKeys, migrateTable, verifyTable } from "../../src";
import { KmsTestServer } from "../../src/testing";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "../support/dynamodb";
import {
  expectedPlain,
  fillMixedTable,
  kindOf,
  type MixedKeys,
  mixedKeys,
  type MixedKind,
  targetConfig,
} from "../support/mixed-table";

/**
 * The mixed table. The issue asks for 10,000 items; on this 2-core
 * machine, shared and at a load average of about 8, the whole file took 263 s
 * with 10,000 (filling the table alone 97 s) and about 30 s with 2,000, so it
 * runs 2,000 by default; MIGRATION_MIXED_ITEMS=10000 runs the size
 * (it passes), and `npm run bench -- --only migration` migrates 10,000 items.
 */
const N = Number(process.env.MIGRATION_MIXED_ITEMS ?? 2000);
jest.setTimeout(240_000);

const table = uniqueTableName("mig-mixed");
let kms: KmsTestServer;
let kmsClient: KMSClient;
let plain: DynamoDBClient;
let keys: MixedKeys;
let counts: Record<MixedKind, number>;

async function scanAll(): Promise<Map<string, Record<string, AttributeValue>>> {
  const out = new Map<string, Record<string, AttributeValue>>();
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await plain.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    for (const item of page.Items ?? []) out.set(item.pk!.S!, item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

beforeAll(async () => {
  kms = await KmsTestServer.start();
  keys = mixedKeys(kms);
  kmsClient = kms.client();
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  counts = await fillMixedTable(plain, kmsClient, table, keys, N);
});

afterAll(async () => {
  await deleteTable(plain, table);
  plain.destroy();
  kmsClient.destroy();
  await kms.stop();
});

const config = () => targetConfig(table, keys, kmsClient);
const indexOf = (pk: string) => Number(pk.slice("item#".length));

describe(`verify, migrate and keys on a mixed table of ${N} items`, () => {
  it("verify fails and counts each state per field; keys lists the current and the retired key", async () => {
    const report = await verifyTable({ config: config(), table, client: plain, segments: 4 });
    expect(report.status).toBe("notCurrent");
    expect(report.items.scanned).toBe(N);
    const { plaintext, retired, pydynox, direct, current, tampered } = counts;
    expect(report.fields.ssn).toMatchObject({
      missing: 0,
      plaintext,
      current,
      notCurrent: { keys: retired, formats: pydynox + direct },
      undecryptable: { "ciphertext.tampered": tampered },
      invalid: 0,
    });
    expect(report.fields["card.number"]).toMatchObject({
      plaintext,
      current: current + tampered,
      notCurrent: { keys: retired, formats: pydynox + direct },
      undecryptable: {},
    });
    expect(report.fields.ssn!.encrypted).toEqual({
      [`native/envelope/${keys.current}`]: current,
      [`native/envelope/${keys.retired}`]: retired,
      [`pydynox/envelope/${keys.current}`]: pydynox,
      [`kms/kms/${keys.current}`]: direct,
    });
    expect(report.undecryptable).toHaveLength(tampered);
    for (const problem of report.undecryptable) {
      expect(problem).toEqual({
        key: { pk: expect.any(Object) },
        field: "ssn",
        code: "ciphertext.tampered",
      });
      expect(kindOf(indexOf((problem.key.pk as { S: string }).S), N)).toBe("tampered");
    }
    expect(JSON.stringify(report)).not.toMatch(/ssn-\d|4111-/);

    const listed = await listKeys({ config: config(), table, client: plain });
    expect(listed.keys).toEqual(
      expect.arrayContaining([
        {
          keyId: keys.retired,
          current: false,
          values: 2 * retired,
          fields: { ssn: retired, "card.number": retired },
        },
        expect.objectContaining({ keyId: keys.current, current: true }),
      ]),
    );
  });

  it("verify with sample checks that many items from random segments and says it was a sample", async () => {
    const report = await verifyTable({ config: config(), table, client: plain, sample: 200 });
    expect(report.sampled).toBe(true);
    expect(report.items.scanned).toBe(200);
    expect(report.fields.ssn!.plaintext + report.fields.ssn!.current).toBeLessThan(200);
  });

  it("migrate --dry-run reports the rewrites and writes nothing", async () => {
    const before = await scanAll();
    const report = await migrateTable({ config: config(), table, client: plain, dryRun: true });
    const toRewrite = N - counts.current - counts.tampered;
    expect(report.items.rewritten).toBe(toRewrite);
    expect(report.status).toBe("notCurrent");
    expect(await scanAll()).toEqual(before);
  });

  it("migrate rewrites exactly the values that are not current, leaves current and tampered values as stored, and a second verify fails only on the tampered values", async () => {
    const before = await scanAll();
    const report = await migrateTable({
      config: config(),
      table,
      client: plain,
      segments: 4,
      checkpoint: { file: join(tmpdir(), `${table}.checkpoint.json`) },
    });
    const toRewrite = N - counts.current - counts.tampered;
    expect(report.items).toMatchObject({
      scanned: N,
      rewritten: toRewrite,
      conflicts: 0,
      failed: 0,
      skipped: counts.tampered,
    });
    expect(report.fields.ssn!.rewritten).toBe(toRewrite);
    expect(report.fields["card.number"]!.rewritten).toBe(toRewrite);
    expect(report.status).toBe("notCurrent"); // the tampered values remain

    const after = await scanAll();
    expect(after.size).toBe(N);
    for (const [pk, item] of after) {
      const kind = kindOf(indexOf(pk), N);
      const old = before.get(pk)!;
      expect(item.ssn!.S!.startsWith("ENC:")).toBe(true);
      expect(item.card!.M!.number!.S!.startsWith("ENC:")).toBe(true);
      expect(item.card!.M!.brand).toEqual({ S: "visa" });
      expect(item.n).toEqual(old.n);
      if (kind === "current" || kind === "tampered") expect(item).toEqual(old);
      else {
        expect(item.ssn).not.toEqual(old.ssn);
        expect(item.card).not.toEqual(old.card);
      }
    }

    const again = await verifyTable({ config: config(), table, client: plain });
    expect(again.status).toBe("notCurrent");
    for (const field of ["ssn", "card.number"]) {
      expect(again.fields[field]).toMatchObject({
        plaintext: 0,
        notCurrent: { keys: 0, formats: 0 },
      });
    }
    expect(again.fields.ssn!.undecryptable).toEqual({ "ciphertext.tampered": counts.tampered });
    const listed = await listKeys({ config: config(), table, client: plain });
    expect(listed.keys.map((k) => k.keyId)).toEqual([keys.current]);
  });

  it("afterwards a strict reader (allowPlaintext false, no retired key, no other format) reads every item but the tampered ones", async () => {
    const client = new DynamoDBClient({
      endpoint: dynamoEndpoint(),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    client.middlewareStack.use(
      fieldEncryption({
        keyId: keys.current,
        kmsClient,
        undecryptableItems: "skip",
        tables: { [table]: { partitionKey: "pk", fields: { ssn: {}, "card.number": {} } } },
      }),
    );
    const doc = DynamoDBDocumentClient.from(client);
    let read = 0;
    for await (const page of paginateScan({ client: doc }, { TableName: table })) {
      for (const item of page.Items ?? []) {
        const i = indexOf(item.pk as string);
        expect(kindOf(i, N)).not.toBe("tampered");
        expect(item).toEqual({ pk: item.pk, ...expectedPlain(i) });
        read++;
      }
    }
    expect(read).toBe(N - counts.tampered);
    client.destroy();
  });
});
