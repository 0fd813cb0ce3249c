/** The packed tarball installs a working `dynamodb-field-encryption` binary. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
let project: string;
let bin: string;

beforeAll(() => {
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  // Inside the repo, so the AWS SDK peer dependencies resolve from its node_modules.
  project = mkdtempSync(join(root, ".cache", "pack-bin-"));
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", project], {
    cwd: root,
  })
    .toString()
    .trim()
    .split("\n")
    .pop()!;
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "t", private: true }));
  execFileSync(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--legacy-peer-deps",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(project, tarball),
    ],
    { cwd: project, stdio: "ignore" },
  );
  bin = join(project, "node_modules", ".bin", "dynamodb-field-encryption");
}, 300_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("the packed package's bin", () => {
  it("prints help", () => {
    expect(execFileSync(bin, ["--help"]).toString()).toContain("export-decrypt");
  });

  it("encrypts and decrypts a gzip file with a config that imports the package by name", () => {
    writeFileSync(
      join(project, "config.mjs"),
      `import { LocalKeyProvider } from "dynamodb-field-encryption";\n` +
        `export const config = { keyId: "k", keyProvider: new LocalKeyProvider({ keys: { k: Buffer.alloc(32, 1) } }),` +
        ` tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } } };\n`,
    );
    const text = `${JSON.stringify({ Item: { pk: { S: "u#1" }, ssn: { S: "123-45-6789" } } })}\n`;
    writeFileSync(join(project, "in.json"), text);
    const args = ["--table", "Users", "--config", join(project, "config.mjs")];
    execFileSync(
      bin,
      ["import-encrypt", ...args, join(project, "in.json"), "-o", join(project, "out.json.gz")],
      {
        stdio: "ignore",
      },
    );
    const back = execFileSync(bin, ["export-decrypt", ...args, join(project, "out.json.gz")], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    expect(back).toBe(text);
  });
});
