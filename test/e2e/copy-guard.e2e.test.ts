import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  EncryptionError,
  type FieldEncryptionConfig,
  fieldEncryption,
  LocalKeyProvider,
  verifyTable,
} from "../../src";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { runCliProcess } from "../support/migration-cli";

jest.setTimeout(120_000);

const KEY = new Uint8Array(32).fill(7);
const SRC = join(__dirname, "..", "..", "src", "index");

const config = (table: string, email: object = {}): FieldEncryptionConfig => ({
  keyId: "k",
  keyProvider: new LocalKeyProvider({ keys: { k: KEY } }),
  tables: {
    [table]: {
      partitionKey: "pk",
      sortKey: "sk",
      allowPlaintext: true,
      fields: { email, "profile.ssn": {} },
    },
  },
});

let plain: DynamoDBClient;
let dir: string;
const tables: string[] = [];

beforeAll(() => {
  plain = plainDynamoClient();
  dir = mkdtempSync(join(tmpdir(), "dfe-copy-"));
});
afterAll(async () => {
  for (const t of tables) await deleteTable(plain, t).catch(() => undefined);
  plain.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function pluginDoc(cfg: FieldEncryptionConfig) {
  const client = plainDynamoClient();
  client.middlewareStack.use(fieldEncryption(cfg));
  return { client, doc: DynamoDBDocumentClient.from(client) };
}

describe("copies of encrypted plaintext on DynamoDB Local", () => {
  it("a Put whose GSI key holds the email is refused and nothing is stored", async () => {
    const table = uniqueTableName("copy");
    tables.push(table);
    await createTable(plain, table, { partitionKey: "pk", sortKey: "sk" });
    const { client, doc } = pluginDoc(config(table));
    const error = await doc
      .send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: "u#1",
            sk: "p",
            email: "Jane.Doe@Example.com",
            gsi1pk: "$app#email_jane.doe@example.com",
          },
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(EncryptionError.is(error, "plaintext.copied")).toBe(true);
    expect((await plain.send(new ScanCommand({ TableName: table }))).Count).toBe(0);
    client.destroy();
  });

  it("verify reports stored items whose unencrypted attributes hold a copy, by key and attribute, never the value", async () => {
    const table = uniqueTableName("copy");
    tables.push(table);
    await createTable(plain, table, { partitionKey: "pk", sortKey: "sk" });
    // Written before the guard existed: the field's guard off.
    const unguarded = pluginDoc(config(table, { copyGuard: false }));
    await unguarded.doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "u#1",
          sk: "p",
          email: "jane@example.com",
          gsi1pk: "$app#email_JANE@example.com",
        },
      }),
    );
    await unguarded.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "u#2", sk: "email#bob@example.com", email: "bob@example.com" },
      }),
    );
    unguarded.client.destroy();
    const guarded = pluginDoc(config(table));
    await guarded.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "u#3", sk: "p", email: "carol@example.com", profile: { ssn: "123-45-6789" } },
      }),
    );
    guarded.client.destroy();
    // Legacy plaintext written around the plugin, its copy in a nested attribute.
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: "u#4" },
          sk: { S: "p" },
          profile: { M: { ssn: { S: "987-65-4321" }, note: { S: "ssn 987-65-4321" } } },
        },
      }),
    );

    // Both key attributes hold a copy: neither may be printed, whichever copy is reported.
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: "user#dave@example.com" },
          sk: { S: "email#dave@example.com" },
          email: { S: "dave@example.com" },
        },
      }),
    );
    const report = await verifyTable({ config: config(table), table, client: plain });
    expect(report.status).toBe("notCurrent");
    expect(report.items.copies).toBe(4);
    const copies = [...report.copies!].sort((a, b) =>
      JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)),
    );
    expect(copies).toEqual([
      {
        key: { pk: { S: "[redacted: holds a copy]" }, sk: { S: "[redacted: holds a copy]" } },
        field: "email",
        attribute: expect.stringMatching(/^(pk|sk)$/),
        code: "plaintext.copied",
      },
      {
        key: { pk: { S: "u#1" }, sk: { S: "p" } },
        field: "email",
        attribute: "gsi1pk",
        code: "plaintext.copied",
      },
      {
        key: { pk: { S: "u#2" }, sk: { S: "[redacted: holds a copy]" } },
        field: "email",
        attribute: "sk",
        code: "plaintext.copied",
      },
      {
        key: { pk: { S: "u#4" }, sk: { S: "p" } },
        field: "profile.ssn",
        attribute: "profile.note",
        code: "plaintext.copied",
      },
    ]);
    const text = JSON.stringify(report);
    for (const secret of ["jane@example.com", "bob@example.com", "987-65-4321", "dave@example.com"])
      expect(text.toLowerCase()).not.toContain(secret);

    const file = join(dir, `${table}.config.ts`);
    writeFileSync(
      file,
      `import { LocalKeyProvider, type FieldEncryptionConfig } from ${JSON.stringify(SRC)};\n` +
        `const config: FieldEncryptionConfig = { keyId: "k", keyProvider: new LocalKeyProvider({ keys: { k: new Uint8Array(32).fill(7) } }), tables: { ${JSON.stringify(table)}: { partitionKey: "pk", sortKey: "sk", allowPlaintext: true, fields: { email: {}, "profile.ssn": {} } } } };\n` +
        `export default config;\n`,
    );
    const common = ["--config", file, "--table", table];
    const json = await runCliProcess(["verify", ...common, "--json"]);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { items: { copies: number } }).items.copies).toBe(4);
    const human = await runCliProcess(["verify", ...common]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain("attribute gsi1pk holds the plaintext of field email");
    expect(human.stdout).toContain("4 holding a copy of an encrypted value in plaintext");
    for (const secret of ["jane@example.com", "bob@example.com", "987-65-4321", "dave@example.com"])
      expect(human.stdout.toLowerCase() + human.stderr.toLowerCase()).not.toContain(secret);
  });
});
