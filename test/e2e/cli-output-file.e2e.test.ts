import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const SRC = join(__dirname, "..", "..", "src", "index");
const MAIN = join(__dirname, "..", "..", "src", "cli", "main.ts");
let dir: string;
let encrypted: string;
jest.setTimeout(60_000);

/** Runs the CLI from source in its own process; returns its exit code. */
function cli(command: "export-decrypt" | "import-encrypt", input: string, output: string): number {
  const args = ["--table", "Users", "--config", join(dir, "config.ts"), input, "-o", output];
  const run = spawnSync(process.execPath, ["--import", "tsx", MAIN, command, ...args, "--json"], {
    encoding: "utf8",
  });
  return run.status ?? -1;
}

const mode = (path: string) => statSync(path).mode & 0o777;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dfe-out-"));
  writeFileSync(
    join(dir, "config.ts"),
    `import { LocalKeyProvider } from ${JSON.stringify(SRC)};\n` +
      `export const config = { keyId: "k", keyProvider: new LocalKeyProvider({ keys: { k: Buffer.alloc(32, 7) } }), ` +
      `tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } } };\n`,
  );
  writeFileSync(
    join(dir, "plain.json"),
    `${JSON.stringify({ Item: { pk: { S: "u#1" }, ssn: { S: "secret-1" } } })}\n`,
  );
  encrypted = join(dir, "enc.json");
  expect(cli("import-encrypt", join(dir, "plain.json"), encrypted)).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the -o output file of export-decrypt and import-encrypt", () => {
  it("is created readable and writable by its owner only", () => {
    expect(mode(encrypted)).toBe(0o600);
    const decrypted = join(dir, "dec.json");
    expect(cli("export-decrypt", encrypted, decrypted)).toBe(0);
    expect(mode(decrypted)).toBe(0o600);
    expect(readFileSync(decrypted, "utf8")).toContain("secret-1");
  });

  it("an existing file is refused with exit 2 and left as it was", () => {
    const existing = join(dir, "existing.json");
    writeFileSync(existing, "old\n", { mode: 0o644 });
    expect(cli("export-decrypt", encrypted, existing)).toBe(2);
    expect(readFileSync(existing, "utf8")).toBe("old\n");
    expect(mode(existing)).toBe(0o644);
  });

  it("a run whose input cannot be read creates no output file, so the corrected run can write it", () => {
    const out = join(dir, "retry.json");
    expect(cli("export-decrypt", join(dir, "missing.json"), out)).toBe(1);
    expect(() => statSync(out)).toThrow();
    expect(cli("export-decrypt", encrypted, out)).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("secret-1");
  });

  it.each([
    ["a directory", () => dir],
    [
      "a .gz file that is not gzip",
      () => {
        writeFileSync(join(dir, "not.json.gz"), "not gzip\n");
        return join(dir, "not.json.gz");
      },
    ],
  ])(
    "a run whose input is %s fails before writing a line and leaves no output file",
    (_, input) => {
      const out = join(dir, `failed-${Math.random().toString(36).slice(2)}.json`);
      expect(cli("export-decrypt", input(), out)).toBe(1);
      expect(() => statSync(out)).toThrow();
    },
  );

  it("a symlink is not followed, to an existing target or to none", () => {
    const target = join(dir, "target.json");
    writeFileSync(target, "target\n");
    const link = join(dir, "link.json");
    symlinkSync(target, link);
    expect(cli("export-decrypt", encrypted, link)).toBe(2);
    expect(readFileSync(target, "utf8")).toBe("target\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const dangling = join(dir, "dangling.json");
    symlinkSync(join(dir, "nowhere.json"), dangling);
    expect(cli("export-decrypt", encrypted, dangling)).toBe(2);
    expect(() => statSync(join(dir, "nowhere.json"))).toThrow();
  });
});
