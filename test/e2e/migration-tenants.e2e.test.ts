/**
 * The migration tool with keys and contexts chosen per item (issue 16 on the
 * tool of issue 14): values are classified against the key their own tenant
 * writes with, so a table written per tenant verifies as current, plaintext
 * is encrypted under each item's own tenant key, and moving one tenant to a
 * new key is `migrate --only keys` after a config change.
 */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  type FieldEncryptionConfig,
  LocalKeyProvider,
  describeCiphertext,
  fieldEncryption,
  listKeys,
  migrateTable,
  verifyTable,
} from "../../src";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";

const table = uniqueTableName("mig-tenants");
const provider = new LocalKeyProvider({
  keys: {
    "local/acme": randomBytes(32),
    "local/acme-2": randomBytes(32),
    "local/globex": randomBytes(32),
  },
});
let plain: DynamoDBClient;
/** A checkpoint file of its own for each run, outside the repository. */
let runs = 0;
const checkpoint = () => ({ file: join(tmpdir(), `${table}-${++runs}.checkpoint.json`) });

/** Keys by tenant from the item's tenantId, and the tenant in every data key's context. */
function config(acme: "local/acme" | "local/acme-2"): FieldEncryptionConfig {
  return {
    keyProvider: provider,
    tables: {
      [table]: {
        partitionKey: "pk",
        keyId: {
          attribute: "tenantId",
          keys: { acme, globex: "local/globex" },
          ...(acme === "local/acme-2" ? { decryptOnlyKeyIds: { acme: ["local/acme"] } } : {}),
        },
        context: { tenant: { attribute: "tenantId" } },
        fields: { ssn: {} },
      },
    },
  };
}
const stored = async (pk: string) =>
  (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item!;

beforeAll(async () => {
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
  const app = plainDynamoClient();
  app.middlewareStack.use(fieldEncryption(config("local/acme")));
  const doc = DynamoDBDocumentClient.from(app);
  for (const [pk, tenantId] of [
    ["a1", "acme"],
    ["a2", "acme"],
    ["g1", "globex"],
  ] as const)
    await doc.send(new PutCommand({ TableName: table, Item: { pk, tenantId, ssn: `ssn-${pk}` } }));
  // A plaintext value of each tenant, written before encryption was configured.
  for (const [pk, tenantId] of [
    ["a3", "acme"],
    ["g2", "globex"],
  ] as const)
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: pk }, tenantId: { S: tenantId }, ssn: { S: `ssn-${pk}` } },
      }),
    );
  app.destroy();
});
afterAll(async () => {
  await deleteTable(plain, table);
  plain.destroy();
});

describe("migration with per-tenant keys and contexts", () => {
  it("verify counts each tenant's values as current under its own key; migrate encrypts plaintext under each item's tenant key", async () => {
    const before = await verifyTable({ config: config("local/acme"), table, client: plain });
    expect(before.status).toBe("notCurrent");
    expect(before.fields.ssn).toMatchObject({ plaintext: 2, current: 3 });
    expect(before.fields.ssn!.notCurrent).toEqual({ keys: 0, formats: 0 });

    const migrated = await migrateTable({
      config: config("local/acme"),
      table,
      client: plain,
      checkpoint: checkpoint(),
    });
    expect(migrated.items.rewritten).toBe(2);
    expect(describeCiphertext((await stored("a3")).ssn!.S!).keyId).toBe("local/acme");
    expect(describeCiphertext((await stored("g2")).ssn!.S!).keyId).toBe("local/globex");

    const after = await verifyTable({ config: config("local/acme"), table, client: plain });
    expect(after.status).toBe("ok");
    expect(after.fields.ssn).toMatchObject({ plaintext: 0, current: 5 });
  });

  it("moving one tenant to a new key: verify shows only its values as not current, migrate --only keys re-encrypts them, keys lists the old key as no longer current", async () => {
    const moved = config("local/acme-2");
    const before = await verifyTable({ config: moved, table, client: plain });
    expect(before.status).toBe("notCurrent");
    expect(before.fields.ssn!.notCurrent.keys).toBe(3); // a1, a2, a3; globex's stay current
    expect(before.fields.ssn!.current).toBe(2);

    const migrated = await migrateTable({
      config: moved,
      table,
      client: plain,
      only: ["keys"],
      checkpoint: checkpoint(),
    });
    expect(migrated.items.rewritten).toBe(3);
    const after = await verifyTable({ config: moved, table, client: plain });
    expect(after.status).toBe("ok");

    const listed = await listKeys({ config: moved, table, client: plain });
    expect(listed.keys.find((k) => k.keyId === "local/acme")).toBeUndefined();
    expect(listed.keys.find((k) => k.keyId === "local/acme-2")).toMatchObject({
      current: true,
      values: 3,
    });
    expect(listed.keys.find((k) => k.keyId === "local/globex")).toMatchObject({
      current: true,
      values: 2,
    });

    // The application, on the new config, reads every tenant's values.
    const app = plainDynamoClient();
    app.middlewareStack.use(fieldEncryption(moved));
    const doc = DynamoDBDocumentClient.from(app);
    for (const pk of ["a1", "a3", "g2"])
      expect((await doc.send(new GetCommand({ TableName: table, Key: { pk } }))).Item!.ssn).toBe(
        `ssn-${pk}`,
      );
    app.destroy();
  });
});
