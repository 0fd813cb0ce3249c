/** The published package works from both module systems: CommonJS require and ESM import of the built files, by package name. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

beforeAll(() => {
  if (!existsSync(join(root, "dist", "index.mjs")))
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
}, 120_000);

const script = (load: string) => `
${load}
const { randomBytes } = require("node:crypto");
const plugin = m.fieldEncryption({ keyId: "k", keyProvider: new m.LocalKeyProvider({ keys: { k: randomBytes(32) } }), tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } } });
if (typeof plugin.applyToStack !== "function") throw new Error("no plugin");
if (typeof t.KmsTestServer.start !== "function") throw new Error("no KmsTestServer");
if (!(new m.EncryptionError("kms.failed", "x") instanceof Error)) throw new Error("no EncryptionError");
console.log(Object.keys(m).sort().join(","));
`;

describe("the built package", () => {
  it("loads with require() (CommonJS)", () => {
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        script(
          `const m = require("dynamodb-field-encryption"); const t = require("dynamodb-field-encryption/testing");`,
        ),
      ],
      { cwd: root },
    ).toString();
    expect(out).toContain("fieldEncryption");
    expect(out).toContain("describeCiphertext");
  });

  it("loads with import (ESM)", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { createRequire } from "node:module"; const require = createRequire(import.meta.url); const m = await import("dynamodb-field-encryption"); const t = await import("dynamodb-field-encryption/testing");` +
          script(""),
      ],
      { cwd: root },
    ).toString();
    expect(out).toContain("fieldEncryption");
  });
});
