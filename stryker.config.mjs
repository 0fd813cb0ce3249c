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

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  mutate: [
    "src/format/**/*.ts",
    "src/keys/**/*.ts",
    "src/engine/**/*.ts",
    // The fail-closed checks of requests: what an expression, an update or a
    // PartiQL statement may do with an encrypted field, and which table a
    // request names. A mutant here that survives is a way past a refusal.
    "src/operations/condition-check.ts",
    "src/operations/request-plan.ts",
    "src/operations/update-plan.ts",
    "src/operations/table-name.ts",
    "src/partiql/parser.ts",
    "src/partiql/statement-plan.ts",
  ],
  testRunner: "jest",
  jest: {
    projectType: "custom",
    config: {
      testEnvironment: "node",
      transform: tiers[0]?.transform,
      testMatch: tiers.flatMap((p) => p.testMatch),
    },
    // Per-test coverage already limits each mutant to the tests that reach it.
    enableFindRelatedTests: false,
  },
  coverageAnalysis: "perTest",
  // Mutants that do not compile are removed before any test runs.
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Reuses the previous run's results for mutants whose code and tests did not
  // change. The file is git-ignored: it is a local cache (large, rewritten on
  // every run, and a constant source of merge conflicts between branches);
  // the score of record is the one in docs/reliability.md.
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
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
  ignorePatterns: [".cache", "dist", "coverage", "reports", "bench/results"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
