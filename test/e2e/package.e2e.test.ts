/**
 * The package as npm ships it. `npm pack` runs the `prepack` script, which
 * builds `dist` from the current sources, so these tests never see a stale
 * build. The tarball is extracted into a scratch app's `node_modules` and used
 * by name, the way an installed copy is: loaded from CommonJS and ESM, and
 * type-checked with TypeScript's old `moduleResolution: "node"`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const startedAt = Date.now();
let app: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(() => {
  // Inside the repo (in the git-ignored .cache) so that the package's peer
  // dependencies resolve from the repo's node_modules, as they would from an app's.
  mkdirSync(join(root, ".cache"), { recursive: true });
  app = mkdtempSync(join(root, ".cache", "package-test-"));
  // Its own package.json, or Node would resolve the name to the repo itself (self-reference).
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", app], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  // npm prints the prepack script's output before the JSON array.
  packed = (JSON.parse(out.slice(out.indexOf("\n[") + 1)) as (typeof packed)[])[0]!;
  const installed = join(app, "node_modules", "dynamodb-field-encryption");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", [
    "-xzf",
    join(app, packed.filename),
    "-C",
    installed,
    "--strip-components=1",
  ]);
}, 180_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Runs a script with the current Node in the scratch app; its first line is JSON. */
function runInApp(args: string[]): { report: Record<string, unknown>; rest: string } {
  const out = execFileSync(process.execPath, args, { cwd: app, encoding: "utf8" });
  const [first, ...rest] = out.split("\n");
  return { report: JSON.parse(first!) as Record<string, unknown>, rest: rest.join("\n") };
}

/** What the loaded package looks like; `m` and `t` are the two entry points, `resolved` where `m` came from. */
const probe = `
const { randomBytes } = require("node:crypto");
const { inspect } = require("node:util");
const plugin = m.fieldEncryption({ keyId: "k", keyProvider: new m.LocalKeyProvider({ keys: { k: randomBytes(32) } }), tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } } });
const err = new m.EncryptionError("kms.failed", "KMS said no", { table: "Users" });
console.log(JSON.stringify({
  resolved,
  exports: Object.keys(m).sort(),
  plugin: typeof plugin.applyToStack,
  kmsTestServer: typeof t.KmsTestServer.start,
  isError: err instanceof Error && m.EncryptionError.is(err, "kms.failed"),
  constructorName: err.constructor.name,
  errorName: err.name,
  inspectHead: inspect(err).split("\\n")[0],
  classNames: [m.LocalKeyProvider.name, m.KmsKeyProvider.name, t.KmsTestServer.name],
}));
console.log(err);
`;

const expectTheBuiltPackage = (report: Record<string, unknown>) => {
  expect(report.resolved).toContain(`${app}/node_modules/dynamodb-field-encryption/dist/`);
  expect(report.exports).toEqual(
    expect.arrayContaining(["fieldEncryption", "describeCiphertext", "EncryptionError"]),
  );
  expect(report.plugin).toBe("function");
  expect(report.kmsTestServer).toBe("function");
  expect(report.isError).toBe(true);
};

const expectTheErrorNamed = (report: Record<string, unknown>, rest: string) => {
  expect(report.constructorName).toBe("EncryptionError");
  expect(report.errorName).toBe("EncryptionError");
  expect(report.inspectHead).toBe("EncryptionError: KMS said no");
  // console.log(err), as a user sees it: the name, then the stack and the fields.
  expect(rest.startsWith("EncryptionError: KMS said no\n")).toBe(true);
  expect(rest).toContain("code: 'kms.failed'");
  expect(rest).not.toContain("_EncryptionError");
  expect(report.classNames).toEqual(["LocalKeyProvider", "KmsKeyProvider", "KmsTestServer"]);
};

describe("the packed package", () => {
  it("is built from the current sources by npm pack's prepack step", () => {
    expect(statSync(join(root, "dist", "index.js")).mtimeMs).toBeGreaterThanOrEqual(startedAt);
    expect(packed.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "dist/index.js",
        "dist/index.mjs",
        "dist/testing/index.d.ts",
      ]),
    );
  });

  it("loads by name with require() (CommonJS), and errors print as EncryptionError", () => {
    const { report, rest } = runInApp([
      "-e",
      `const m = require("dynamodb-field-encryption"); const t = require("dynamodb-field-encryption/testing"); const resolved = require.resolve("dynamodb-field-encryption");` +
        probe,
    ]);
    expect(report.resolved).toMatch(/\/dist\/index\.js$/);
    expectTheBuiltPackage(report);
    expectTheErrorNamed(report, rest);
  });

  it("loads by name with import (ESM), and errors print as EncryptionError", () => {
    const { report, rest } = runInApp([
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module"; import { fileURLToPath } from "node:url"; const require = createRequire(import.meta.url); const m = await import("dynamodb-field-encryption"); const t = await import("dynamodb-field-encryption/testing"); const resolved = fileURLToPath(import.meta.resolve("dynamodb-field-encryption"));` +
        probe,
    ]);
    expect(report.resolved).toMatch(/\/dist\/index\.mjs$/);
    expectTheBuiltPackage(report);
    expectTheErrorNamed(report, rest);
  });

  it('type-checks both entry points with TypeScript\'s moduleResolution "node" (node10)', () => {
    const fixture = join(app, "node10");
    mkdirSync(fixture);
    writeFileSync(
      join(fixture, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "commonjs",
          moduleResolution: "node",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
        },
        files: ["index.ts"],
      }),
    );
    writeFileSync(
      join(fixture, "index.ts"),
      [
        `import { EncryptionError, fieldEncryption, type FieldEncryptionConfig } from "dynamodb-field-encryption";`,
        `import { KmsTestServer } from "dynamodb-field-encryption/testing";`,
        // Proves that resolution is checked: a missing entry point must be an error here.
        `// @ts-expect-error: no such entry point`,
        `import { nothing } from "dynamodb-field-encryption/missing";`,
        `const config: FieldEncryptionConfig = { keyId: "alias/x", tables: {} };`,
        `export const plugin = fieldEncryption(config);`,
        `export const server: Promise<KmsTestServer> = KmsTestServer.start();`,
        `export const is: boolean = EncryptionError.is(new Error("x"), "kms.failed");`,
        `export { nothing };`,
        ``,
      ].join("\n"),
    );
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", fixture], { encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe("");
  });
});
