import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type DynamoDBClient,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  ScanCommand as PlainScanCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import {
  type BeaconKeyOptions,
  computeBeacons,
  createBeaconKey,
  EncryptionError,
  type FieldEncryptionConfig,
  KmsKeyProvider,
} from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClientPool, type PluginClients } from "../support/e2e-setup";

const table = uniqueTableName("pqbeacons");
const INDEX = "email-index";
let kms: KmsTestServer;
let plain: DynamoDBClient;
let beaconKey: BeaconKeyOptions;
let kmsClient: ReturnType<KmsTestServer["client"]>;
const pool = pluginClientPool();

/** `length: 2` puts every email into one of four beacons, so lookups meet many false positives. */
function config(): Omit<FieldEncryptionConfig, "kmsClient"> {
  return {
    keyId: "alias/app-data",
    beaconKey,
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: {
          email: { beacon: { length: 2, normalize: "lowercase", index: INDEX } },
          "profile.phone": { beacon: { length: 256 } },
        },
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

const S = (s: string): AttributeValue => ({ S: s });
const NULL: AttributeValue = { NULL: true };

/** Every page of a SELECT, through the plugin. */
async function select(
  client: DynamoDBClient,
  Statement: string,
  Parameters: AttributeValue[],
  ConsistentRead: boolean,
): Promise<string[]> {
  const pks: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await client.send(
      new ExecuteStatementCommand({ Statement, Parameters, ConsistentRead, NextToken }),
    );
    for (const item of out.Items ?? []) pks.push(item.pk!.S!);
    NextToken = out.NextToken;
  } while (NextToken);
  return pks.sort();
}

/** Every item of the table as stored, with no plugin. */
async function rawItems() {
  const out = await plain.send(new PlainScanCommand({ TableName: table, ConsistentRead: true }));
  return out.Items ?? [];
}

/** Checks every stored item of `prefix`: no plaintext from `secrets`, and beacons equal to computeBeacons of its decrypted value. */
async function expectStoredInStep(doc: PluginClients["doc"], prefix: string, secrets: string[]) {
  for (const stored of (await rawItems()).filter((i) => i.pk?.S?.startsWith(prefix))) {
    const text = JSON.stringify(stored).toLowerCase();
    for (const secret of secrets) expect(text).not.toContain(secret.toLowerCase());
    const item = (
      await doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: stored.pk!.S, sk: stored.sk!.S },
          ConsistentRead: true,
        }),
      )
    ).Item!;
    const { beacons } = await computeBeacons(
      { ...config(), kmsClient },
      table,
      marshall(item, { removeUndefinedValues: true }),
    );
    expect({ email: stored.email__beacon?.S, phone: stored.profile_phone__beacon?.S }).toEqual({
      email: beacons.email__beacon?.S,
      phone: beacons.profile_phone__beacon?.S,
    });
  }
}

/** One write to item `n` of the property test; the oracle holds each item's email (lower-cased) and phone. */
type Write =
  | { kind: "insert"; n: number; email: string | undefined; phone: string | undefined }
  | { kind: "insertMap"; n: number; email: string; phone: string }
  | { kind: "setEmail"; n: number; email: string | null }
  | { kind: "removeEmail"; n: number }
  | { kind: "setProfile"; n: number; phone: string | undefined }
  | { kind: "removeProfile"; n: number }
  | { kind: "putItem"; n: number; email: string }
  | { kind: "updateItem"; n: number; email: string };

const EMAILS = ["a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x", "A@X"];
const email = fc.constantFrom(...EMAILS);
const phone = fc.constantFrom("555-01", "555-02", "555-03");
const n = fc.integer({ min: 0, max: 7 });
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    n,
    email: fc.option(email, { nil: undefined }),
    phone: fc.option(phone, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("insertMap" as const), n, email, phone }),
  fc.record({ kind: fc.constant("setEmail" as const), n, email: fc.option(email, { nil: null }) }),
  fc.record({ kind: fc.constant("removeEmail" as const), n }),
  fc.record({
    kind: fc.constant("setProfile" as const),
    n,
    phone: fc.option(phone, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("removeProfile" as const), n }),
  fc.record({ kind: fc.constant("putItem" as const), n, email }),
  fc.record({ kind: fc.constant("updateItem" as const), n, email }),
);
type Lookup = { on: "table" | "index"; emails: string[] };
const lookup: fc.Arbitrary<Lookup> = fc.record({
  on: fc.constantFrom("table" as const, "index" as const),
  emails: fc.array(email, { minLength: 1, maxLength: 3 }),
});

interface Row {
  email: string | undefined;
  phone: string | undefined;
}

/** Applies one write through the plugin: PartiQL, or (putItem, updateItem) the item API, so that both kinds mix. */
async function apply(
  { client, doc }: PluginClients,
  prefix: string,
  w: Write,
  oracle: Map<string, Row>,
): Promise<void> {
  const pk = `${prefix}${w.n}`;
  const key = [S(pk), S("s")];
  const where = "WHERE pk = ? AND sk = ?";
  const exists = oracle.has(pk);
  const run = (Statement: string, Parameters: AttributeValue[]) =>
    client.send(new ExecuteStatementCommand({ Statement, Parameters }));
  const row = oracle.get(pk);
  switch (w.kind) {
    case "insert":
    case "insertMap": {
      // INSERT fails on an existing key: remove the item first, as a DELETE statement.
      if (exists) await run(`DELETE FROM "${table}" ${where}`, key);
      if (w.kind === "insertMap") {
        // The field's map as one ? parameter (DynamoDB refuses a whole item as one parameter).
        await run(`INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': ?}`, [
          ...key,
          S(w.email),
          { M: { phone: S(w.phone), city: S("x") } },
        ]);
        oracle.set(pk, { email: w.email.toLowerCase(), phone: w.phone });
        return;
      }
      const entries = ["'pk': ?", "'sk': ?"];
      const params = [...key];
      if (w.email !== undefined) {
        entries.push("'email': ?");
        params.push(S(w.email));
      }
      if (w.phone !== undefined) {
        // DynamoDB refuses a ? inside a nested tuple ({'phone': ?}), so the map is one parameter.
        entries.push("'profile': ?");
        params.push({ M: { phone: S(w.phone) } });
      }
      await run(`INSERT INTO "${table}" VALUE {${entries.join(", ")}}`, params);
      oracle.set(pk, { email: w.email?.toLowerCase(), phone: w.phone });
      return;
    }
    case "putItem":
      await doc.send(new PutCommand({ TableName: table, Item: { pk, sk: "s", email: w.email } }));
      oracle.set(pk, { email: w.email.toLowerCase(), phone: undefined });
      return;
  }
  // UPDATE needs the item to exist (PartiQL UPDATE does not create one).
  if (!row) return;
  switch (w.kind) {
    case "setEmail":
      await run(`UPDATE "${table}" SET email = ? ${where}`, [
        w.email === null ? NULL : S(w.email),
        ...key,
      ]);
      row.email = w.email === null ? undefined : w.email.toLowerCase();
      return;
    case "removeEmail":
      await run(`UPDATE "${table}" REMOVE email ${where}`, key);
      row.email = undefined;
      return;
    case "setProfile":
      await run(`UPDATE "${table}" SET profile = ? SET touched = ? ${where}`, [
        { M: w.phone === undefined ? { city: S("x") } : { phone: S(w.phone) } },
        { BOOL: true },
        ...key,
      ]);
      row.phone = w.phone;
      return;
    case "removeProfile":
      await run(`UPDATE "${table}" REMOVE profile ${where}`, key);
      row.phone = undefined;
      return;
    case "updateItem":
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: "s" },
          UpdateExpression: "SET email = :e",
          ExpressionAttributeValues: { ":e": w.email },
        }),
      );
      row.email = w.email.toLowerCase();
      return;
  }
}

describe("PartiQL and beacons on DynamoDB Local", () => {
  it("random PartiQL INSERT/UPDATE/REMOVE mixed with PutItem/UpdateItem, then SELECT … WHERE email = ? / IN on the table and on the beacon index, equal a plaintext oracle (length 2), and stored beacons stay in step", async () => {
    const clients = pool.open(kms, config());
    let run = 0;
    let found = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 1, maxLength: 8 }),
        fc.array(lookup, { minLength: 1, maxLength: 3 }),
        async (writes, lookups) => {
          const prefix = `prop${run++}#`;
          const oracle = new Map<string, Row>();
          for (const w of writes) await apply(clients, prefix, w, oracle);
          for (const { on, emails } of lookups) {
            const from = on === "index" ? `"${table}"."${INDEX}"` : `"${table}"`;
            const test =
              emails.length === 1 ? "email = ?" : `email IN [${emails.map(() => "?").join(", ")}]`;
            const got = await select(
              clients.client,
              `SELECT * FROM ${from} WHERE ${test} AND begins_with(pk, ?)`,
              [...emails.map(S), S(prefix)],
              on === "table",
            );
            const wanted = new Set(emails.map((e) => e.toLowerCase()));
            const want = [...oracle]
              .filter(([, row]) => row.email !== undefined && wanted.has(row.email))
              .map(([pk]) => pk)
              .sort();
            expect(got).toEqual(want);
            found += want.length;
          }
          // The 256-bit nested field: exact, on the table.
          for (const p of ["555-01", "555-02"]) {
            const got = await select(
              clients.client,
              `SELECT pk, sk, profile FROM "${table}" WHERE profile.phone = ? AND begins_with(pk, ?)`,
              [S(p), S(prefix)],
              true,
            );
            const want = [...oracle]
              .filter(([, row]) => row.phone === p)
              .map(([pk]) => pk)
              .sort();
            expect(got).toEqual(want);
          }
          await expectStoredInStep(clients.doc, prefix, [...EMAILS, "555-0"]);
        },
      ),
      { numRuns: 20 },
    );
    // The lookups found items, so the property did not hold only on empty results.
    expect(found).toBeGreaterThan(0);
  });

  it("a SELECT list without the searched field returns only what it names, with false positives removed", async () => {
    const { client, doc } = pool.open(kms, config());
    for (const [i, e] of ["a@x", "b@x", "c@x", "d@x", "e@x"].entries())
      await doc.send(
        new PutCommand({ TableName: table, Item: { pk: `list#${i}`, sk: "s", email: e } }),
      );
    const out = await client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT pk, sk FROM "${table}" WHERE email = ? AND begins_with(pk, ?)`,
        Parameters: [S("C@X"), S("list#")],
        ConsistentRead: true,
      }),
    );
    expect(out.Items).toEqual([{ pk: S("list#2"), sk: S("s") }]);
  });

  it("batch and transaction writes carry beacons; a 256-bit WHERE condition on UPDATE is exact", async () => {
    const clients = pool.open(kms, config());
    const { client } = clients;
    await client.send(
      new BatchExecuteStatementCommand({
        Statements: [
          {
            Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'email': ?, 'profile': ?}`,
            Parameters: [S("batch#1"), S("s"), S("one@x"), { M: { phone: S("555-77") } }],
          },
        ],
      }),
    );
    await client.send(
      new ExecuteTransactionCommand({
        TransactStatements: [
          {
            Statement: `UPDATE "${table}" SET email = ? WHERE pk = ? AND sk = ? AND profile.phone = ?`,
            Parameters: [S("two@x"), S("batch#1"), S("s"), S("555-77")],
          },
        ],
      }),
    );
    await expectStoredInStep(clients.doc, "batch#", ["one@x", "two@x", "555-77"]);
    await expect(
      client.send(
        new ExecuteStatementCommand({
          Statement: `UPDATE "${table}" SET email = ? WHERE pk = ? AND sk = ? AND profile.phone = ?`,
          Parameters: [S("three@x"), S("batch#1"), S("s"), S("555-78")],
        }),
      ),
    ).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    const item = (
      await clients.doc.send(
        new GetCommand({ TableName: table, Key: { pk: "batch#1", sk: "s" }, ConsistentRead: true }),
      )
    ).Item!;
    expect(item.email).toBe("two@x");
  });

  it("concurrent PartiQL UPDATEs and UpdateItems of the field leave the stored beacon in step with the value that won", async () => {
    const clients = pool.open(kms, config());
    const key = [S("conc#1"), S("s")];
    await clients.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'email': ?}`,
        Parameters: [...key, S("start@x")],
      }),
    );
    await Promise.all(
      ["c1@x", "c2@x", "c3@x", "c4@x", "c5@x", "c6@x"].map((email, i) =>
        i % 2 === 0
          ? clients.client.send(
              new ExecuteStatementCommand({
                Statement: `UPDATE "${table}" SET email = ? WHERE pk = ? AND sk = ?`,
                Parameters: [S(email), ...key],
              }),
            )
          : clients.doc.send(
              new UpdateCommand({
                TableName: table,
                Key: { pk: "conc#1", sk: "s" },
                UpdateExpression: "SET email = :e",
                ExpressionAttributeValues: { ":e": email },
              }),
            ),
      ),
    );
    await expectStoredInStep(clients.doc, "conc#", ["start@x", "c1@x", "c2@x", "c3@x"]);
  });

  it("a lookup under OR is refused before anything is sent", async () => {
    const { client } = pool.open(kms, config());
    const error = await client
      .send(
        new ExecuteStatementCommand({
          Statement: `SELECT * FROM "${table}" WHERE email = ? OR pk = ?`,
          Parameters: [S("a@x"), S("x")],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("beacon.unsupportedQuery");
  });
});
