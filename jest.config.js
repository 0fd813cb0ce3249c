/** Test tiers, split by folder. `npm test` runs all three; `npm run test:<tier>` runs one. */
const transform = {
  "^.+\\.ts$": [
    "@swc/jest",
    { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
  ],
};

const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: "node",
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    tier("unit"),
    tier("plugin"),
    tier("e2e", {
      // A ceiling for a hung test, not a speed check: DynamoDB Local shares two cores with the tests.
      testTimeout: 60_000,
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
      globalTeardown: "<rootDir>/test/e2e/global-teardown.ts",
    }),
  ],
};
