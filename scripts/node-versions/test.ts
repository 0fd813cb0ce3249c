/**
 * `npm run test:node-versions`: runs the Jest tiers again under each pinned
 * Node.js release (see `versions.ts`), fetching them first if needed. The
 * release's `bin/` goes first on PATH, so Jest's workers and everything the
 * tests start by name (`npm`, `tsx`) run under it too.
 *
 * Arguments are passed to Jest: `npm run test:node-versions -- --selectProjects unit`.
 * On a machine other than Linux x64 it prints why it skips and exits 0.
 */
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join, resolve } from "node:path";
import { fetchNode } from "./fetch";
import { PINNED_NODES, unsupportedPlatform } from "./versions";

const projectRoot = resolve(__dirname, "..", "..");
const jest = join(projectRoot, "node_modules", "jest", "bin", "jest.js");

function main(): number {
  const unsupported = unsupportedPlatform();
  if (unsupported) {
    console.log(
      `Skipping the test runs under Node ${PINNED_NODES.map((p) => p.major).join(" and ")}: ${unsupported}. CI runs them.`,
    );
    return 0;
  }
  const failed: string[] = [];
  // Every version runs even after a failure, so one run shows all that fail.
  for (const pin of PINNED_NODES) {
    const node = fetchNode(pin, console.log);
    console.log(`\n=== Test tiers under Node ${pin.version} ===`);
    const result = spawnSync(node, [jest, ...process.argv.slice(2)], {
      cwd: projectRoot,
      stdio: "inherit",
      env: {
        ...process.env,
        PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}`,
        // Checked by test/unit/runtime/node-version.test.ts.
        DFE_TEST_NODE_VERSION: pin.version,
      },
    });
    if (result.error) throw result.error;
    if (result.status !== 0) failed.push(pin.version);
  }
  if (failed.length > 0) {
    console.error(`The test tiers failed under Node ${failed.join(" and ")}.`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
