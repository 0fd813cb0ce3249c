import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";

/**
 * Three processes started from one V8 startup snapshot, built after the IV
 * pool was filled, must still draw different IVs.
 */
describe("randomIv across a V8 startup snapshot", () => {
  const dir = mkdtempSync(join(tmpdir(), "dfe-snapshot-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("processes started from one snapshot never hand out the same IV", () => {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      `import { startupSnapshot } from "node:v8";
import { randomIv } from ${JSON.stringify(resolve(__dirname, "../../../src/util/random-iv"))};
randomIv(); // the pool is filled before the snapshot is written
startupSnapshot.setDeserializeMainFunction(() => {
  process.stdout.write(randomIv().toString("hex"));
});
`,
    );
    const bundle = join(dir, "entry.js");
    buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "cjs",
      outfile: bundle,
      logLevel: "silent",
    });
    const blob = join(dir, "snapshot.blob");
    execFileSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", bundle]);
    const ivs = [1, 2, 3].map(() =>
      execFileSync(process.execPath, ["--snapshot-blob", blob], { encoding: "utf8" }),
    );
    for (const iv of ivs) expect(iv).toMatch(/^[0-9a-f]{24}$/);
    expect(new Set(ivs).size).toBe(3);
  });
});
