import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildProcess, spawn } from "node:child_process";
import { gunzipSync } from "node:zlib";

const SRC = join(__dirname, "..", "..", "src", "index");
const KEY_HEX = "07".repeat(32);
let dir: string;
jest.setTimeout(120_000);

const line = (i: number) =>
  JSON.stringify({ Item: { pk: { S: `u#${i}` }, ssn: { S: `secret-${i}` }, n: { N: String(i) } } });
const lines = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${line(from + i)}\n`).join("");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dfe-cli-"));
  const table = `{ Users: { partitionKey: "pk", fields: { ssn: {} } } }`;
  const provider = `new LocalKeyProvider({ keys: { k: Buffer.from("${KEY_HEX}", "hex") } })`;
  writeFileSync(
    join(dir, "config.ts"),
    `import { LocalKeyProvider, type FieldEncryptionConfig } from ${JSON.stringify(SRC)};\n` +
      `export const config: FieldEncryptionConfig = { keyId: "k", keyProvider: ${provider}, tables: ${table} };\n`,
  );
  // A default export, from an ES module that re-exports the TypeScript one.
  writeFileSync(
    join(dir, "default.mjs"),
    `import { config } from "./config.ts";\nexport default config;\n`,
  );
  writeFileSync(join(dir, "no-tables.ts"), `export default { keyId: "k" };\n`);
  writeFileSync(
    join(dir, "bad-mode.ts"),
    `export const config = { keyId: "k", tables: { Users: { partitionKey: "pk", fields: { ssn: { mode: "ReadWriter" } } } } };\n`,
  );
  writeFileSync(join(dir, "syntax.ts"), `export const config = {\n`);
  writeFileSync(join(dir, "plain.json"), lines(30));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const MAIN = join(__dirname, "..", "..", "src", "cli", "main.ts");

/** Runs the CLI from source in its own process, as a shell would; resolves when it exits. */
function cli(
  args: string[],
  options: { stdin?: string; onStdout?: (child: ChildProcess) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => {
      if (out.length === 0) options.onStdout?.(child);
      out.push(c);
    });
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    child.stdin.end(options.stdin ?? "");
  });
}

const common = (config = "config.ts") => ["--table", "Users", "--config", join(dir, config)];

async function encryptedFile(name: string, text = lines(30)): Promise<string> {
  writeFileSync(join(dir, `${name}.plain.json`), text);
  const run = await cli([
    "import-encrypt",
    ...common(),
    join(dir, `${name}.plain.json`),
    "-o",
    join(dir, `${name}.json.gz`),
  ]);
  expect(run.code).toBe(0);
  return join(dir, `${name}.json.gz`);
}

describe("dynamodb-field-encryption import-encrypt and export-decrypt", () => {
  it("round-trip a file through gzip: encrypted at rest, the same lines back, exit 0", async () => {
    const file = await encryptedFile("round");
    expect(gunzipSync(readFileSync(file)).toString()).not.toContain("secret-");
    const run = await cli(["export-decrypt", ...common(), file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(lines(30));
    expect(run.stderr).toContain("export-decrypt: ok; 30 lines read, 30 items written, 0 failed");
  });

  it("loads a config from a .mjs default export", async () => {
    const file = await encryptedFile("mjs");
    const run = await cli(["export-decrypt", ...common("default.mjs"), file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(lines(30));
  });

  it("reads stdin with - and gives a one-line JSON report with --json", async () => {
    const run = await cli(["import-encrypt", ...common(), "-", "--json"], { stdin: lines(3) });
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(3);
    expect(JSON.parse(run.stderr)).toEqual({
      command: "import-encrypt",
      table: "Users",
      status: "ok",
      lines: 3,
      items: 3,
      failed: 0,
      failures: [],
    });
  });

  it.each([
    ["a missing file", "missing.ts", /could not be loaded/],
    ["a syntax error", "syntax.ts", /could not be loaded/],
    ["no tables", "no-tables.ts", /default export or a named export "config"/],
    ["an invalid option", "bad-mode.ts", /fields\.ssn\.mode: expected one of/],
  ])("a wrong config (%s) exits 2 and says why", async (_name, config, message) => {
    const run = await cli(["export-decrypt", ...common(config), join(dir, "plain.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("an unknown table exits 2", async () => {
    const run = await cli([
      "export-decrypt",
      "--table",
      "Orders",
      "--config",
      join(dir, "config.ts"),
      join(dir, "plain.json"),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No table "Orders"');
  });

  it("a malformed line exits 1 and names the line", async () => {
    const run = await cli(["import-encrypt", ...common(), "-", "--json"], {
      stdin: `${line(1)}\n{"Item": {"pk": \n${line(3)}\n`,
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stderr);
    expect(report.status).toBe("failed");
    expect(report.failures).toEqual([
      expect.objectContaining({ line: 2, code: "export.lineInvalid" }),
    ]);
  });

  it("a truncated gzip exits 1 with an incomplete-output error", async () => {
    const file = await encryptedFile("truncated", lines(2000));
    const bytes = readFileSync(file);
    writeFileSync(join(dir, "cut.json.gz"), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const run = await cli(["export-decrypt", ...common(), join(dir, "cut.json.gz"), "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stderr);
    expect(report.error.code).toBe("export.incomplete");
    expect(report.error.message).toMatch(/truncated or corrupt after line \d+/);
    expect(run.stdout.split("\n").length - 1).toBeLessThan(2000);
  });

  it("with --max-failed-lines, reports a tampered line by number and key, never value, and still exits 1", async () => {
    const file = await encryptedFile("tamper", lines(3));
    const stored = gunzipSync(readFileSync(file))
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    stored[1].Item.ssn = stored[0].Item.ssn; // moved from another item
    writeFileSync(join(dir, "tampered.json"), stored.map((s) => JSON.stringify(s)).join("\n"));
    const run = await cli([
      "export-decrypt",
      ...common(),
      join(dir, "tampered.json"),
      "--max-failed-lines",
      "10",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${line(0)}\n${line(2)}\n`);
    expect(run.stderr).toContain('line 2 key {"pk":{"S":"u#1"}}: Line 2 (key {"pk":{"S":"u#1"}}):');
    expect(run.stderr).not.toContain("secret-");
    expect(run.stderr).not.toContain(stored[0].Item.ssn.S);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "stops on %s with exit %d and says the output is incomplete",
    async (signal, code) => {
      const big = await encryptedFile(`big-${signal}`, lines(20_000));
      const run = await cli(["export-decrypt", ...common(), big, "--json", "--batch-size", "10"], {
        onStdout: (child) => child.kill(signal),
      });
      expect(run.code).toBe(code);
      const report = JSON.parse(run.stderr);
      expect(report.status).toBe("interrupted");
      expect(report.lines).toBeLessThan(20_000);
    },
  );

  it.each([[[] as string[]], [["export-decrypt"]], [["import-encrypt"]]])(
    "--help works on %j and exits 0",
    async (command) => {
      const run = await cli([...command, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Usage: dynamodb-field-encryption");
    },
  );

  it("a missing required option exits 2", async () => {
    const run = await cli(["export-decrypt", join(dir, "plain.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--table");
  });

  it("gzip output is real gzip", async () => {
    const run = await cli(["import-encrypt", ...common(), join(dir, "plain.json"), "--gzip"]);
    expect(run.code).toBe(0);
    expect(gunzipSync(Buffer.from(run.stdout, "latin1")).toString()).not.toContain("secret-");
    expect(gunzipSync(Buffer.from(run.stdout, "latin1")).toString().split("\n")).toHaveLength(31);
  });
});
