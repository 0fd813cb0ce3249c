// @ts-check
/**
 * Mutation testing (`npm run mutation`): StrykerJS changes the code that
 * enforces the security properties, one small change ("mutant") at a time,
 * and runs the unit and plugin tiers against each. A mutant no test notices
 * is a check nothing proves. See "Mutation testing" in docs/reliability.md.
 *
 * Not part of `npm test`: the full scope takes hours on two cores.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** @type {{ projects: { displayName: string; transform: unknown; testMatch: string[] }[] }} */
const jestConfig = require("./jest.config.js");
/** The unit and plugin tiers only: the e2e tier needs DynamoDB Local and is too slow per mutant. */
const tiers = jestConfig.projects.filter((p) => ["unit", "plugin"].includes(p.displayName));

/**
 * A focused run: `STRYKER_TESTS` lists, comma-separated, the test files (globs
 * from the repository root) that run against each mutant, in place of both
 * tiers. Jest loads every test file it matches for every mutant, even when
 * per-test coverage leaves a file nothing to run, so on two cores a focused
 * run must also narrow the test files, not only `--mutate`. Stryker's own
 * `--testFiles` narrows only the first (coverage) run, not the mutant runs.
 */
const focusedTests = (process.env.STRYKER_TESTS ?? "")
  .split(",")
  .map((glob) => glob.trim())
  .filter((glob) => glob !== "")
  .map((glob) => `<rootDir>/${glob}`);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  // Everything under src/ that decides something, with three exclusions:
  // - src/cli: argument parsing, exit codes and printing around functions that
  //   live (and are mutated) in src/migration, src/exports and src/keys. It is
  //   tested by running the CLI in the e2e tier, which mutation runs leave out,
  //   so each of its mutants would survive without saying anything about a test.
  // - src/testing: the KMS test server shipped for users' tests. Not on any
  //   path that encrypts or decrypts; a mutant there changes a test double.
  // - src/index.ts and *-types.ts files: re-exports and type declarations, no
  //   code left after compilation.
  mutate: ["src/**/*.ts", "!src/cli/**", "!src/testing/**", "!src/index.ts", "!src/**/*-types.ts"],
  testRunner: "jest",
  jest: {
    projectType: "custom",
    config: {
      // The runner merges this over jest.config.js, whose `projects` would
      // otherwise win over `testMatch` and run every tier, e2e included
      // (starting DynamoDB Local in the sandbox).
      projects: undefined,
      testEnvironment: "node",
      transform: tiers[0]?.transform,
      testMatch: focusedTests.length > 0 ? focusedTests : tiers.flatMap((p) => p.testMatch),
    },
    // Per-test coverage already limits each mutant to the tests that reach it.
    enableFindRelatedTests: false,
  },
  coverageAnalysis: "perTest",
  // Mutants that do not compile are removed before any test runs.
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Reuses the previous run's results for mutants whose code and covering
  // tests did not change, so a release tests only what changed since the last
  // recorded run. Committed (outside the git-ignored reports/): it is the
  // record of what was tested. Focused runs (`--mutate`) add to it; mutants of
  // files outside the run's scope keep their earlier results.
  incremental: true,
  incrementalFile: "stryker/incremental.json",
  // Two cores: one test-runner process (plus one checker), leaving a core for
  // Stryker itself and the rest of the machine. Raise with --concurrency.
  concurrency: 1,
  // Generous: the machine is shared, and a mutant that only runs slow must not count as killed.
  timeoutMS: 60_000,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
  // The sandboxes of other runs (a second focused run with its own --tempDirName) are not copied either.
  ignorePatterns: [
    ".cache",
    "dist",
    "coverage",
    "reports",
    "bench/results",
    "stryker",
    ".stryker-tmp*",
  ],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
