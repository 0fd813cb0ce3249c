import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

/** Runs an example against the tier's DynamoDB Local, so the examples in the repo stay true to the code. */
async function example(name: string): Promise<string> {
  const { stdout } = await run(tsx, [join(root, "examples", `${name}.ts`)], {
    cwd: root,
    env: { ...process.env },
    timeout: 60_000,
  });
  return stdout;
}

describe("examples run and show what they claim", () => {
  it("basic-encryption", async () => {
    const out = await example("basic-encryption");
    expect(out).toContain("ssn: '123-45-6789'");
    expect(out).toMatch(/stored in DynamoDB: +\{ ssn: 'ENC:/);
  });

  it("encryption-modes", async () => {
    const out = await example("encryption-modes");
    expect(out).toMatch(/WriteOnly reads the stored ciphertext: ENC:/);
    expect(out).toMatch(/ReadOnly reads the plaintext: +J45\.909/);
    expect(out).toMatch(/ReadOnly write refused: +mode\.readOnlyWrite/);
  });

  it("encryption-context", async () => {
    const out = await example("encryption-context");
    expect(out).toContain("acme reads its value: DE89370400440532013000");
    expect(out).toContain("globex's context does not match: kms.invalidCiphertext");
  });

  it("multi-tenant", async () => {
    const out = await example("multi-tenant");
    expect(out).toContain("globex's patients: globex-J45.1, globex-J45.2, globex-J45.3");
    expect(out).toContain(
      "KMS calls: 3 GenerateDataKey for 9 items of 3 tenants, 1 Decrypt for globex's query",
    );
    expect(out).toContain("initech after revoking: kms.accessDenied");
    expect(out).toContain("acme still reads: acme-J45.1");
  });

  it("low-level-client", async () => {
    expect(await example("low-level-client")).toContain('"pins":{"NS":["1234","9876"]}');
  });

  it("batch-write", async () => {
    const out = await example("batch-write");
    expect(out).toContain("25 orders read back; first card: 4111-0000-0000-0000");
    expect(out).toContain("KMS calls: 1 GenerateDataKey, 1 Decrypt");
  });

  it("electrodb", async () => {
    const out = await example("electrodb");
    expect(out).toContain('"ssn":"123-45-6789"');
    expect(out).toContain('{"zip":"94107","city":"SF"},{"zip":"10001","city":"NY"}');
    expect(out).toMatch(/stored ssn: ENC:\S+ zips: ENC:\S+, ENC:\S+\n/);
    expect(out).toContain("where on ssn refused: expression.unsupportedOnEncrypted");
    expect(out).toMatch(/stored gsi1pk: \$app#email_[0-9a-f]{4}\n/);
    expect(out).toContain("query by email: 1\n");
    expect(out.toLowerCase().match(/ada@example\.com/g)).toHaveLength(1);
  });

  it("dynamodb-toolbox", async () => {
    const out = await example("dynamodb-toolbox");
    expect(out).toContain('"ssn":"123-45-6789"');
    expect(out).toContain(
      '[{"zip":"30301","city":"ATL"},{"zip":"94107","city":"SF"},{"zip":"10001","city":"NY"}]',
    );
    expect(out).toMatch(/stored ssn: ENC:\S+ zips: ENC:\S+, ENC:\S+, ENC:\S+\n/);
    expect(out).toContain("filter on ssn refused: expression.unsupportedOnEncrypted");
    expect(out).toMatch(/stored gsi1pk: USER#EMAIL#[0-9a-f]{4}\n/);
    expect(out).toContain(
      'query by email: [{"pk":"user#1","email":"Ada@Example.com","keys":false}]',
    );
  });

  it("stream-consumer", async () => {
    const out = await example("stream-consumer");
    expect(out).toMatch(/the stream holds: ENC:/);
    expect(out).toContain("INSERT: - -> J45.909");
    expect(out).toContain("MODIFY: J45.909 -> J45.20");
    expect(out).toContain("REMOVE: J45.20 -> -");
    expect(out).toContain("batch item failures: 0");
  });

  it("demo", async () => {
    const out = await example("demo");
    expect(out).toMatch(/"S": "ENC:/);
    expect(out).toContain('"ssn": "123-45-6789"');
    expect(out).toContain("ReadOnly write refused: EncryptionError mode.readOnlyWrite");
  });
});
