/**
 * The plugin and e2e tiers against the oldest AWS SDK in the peer range,
 * installed by `npm run sdk-oldest:install` into .cache/sdk-oldest.
 */
const { join } = require("node:path");
const base = require("./jest.config.js");

const dir = join(__dirname, ".cache", "sdk-oldest", "node_modules");
const moduleNameMapper = Object.fromEntries(
  ["client-dynamodb", "lib-dynamodb", "util-dynamodb"].map((name) => [
    `^@aws-sdk/${name}$`,
    join(dir, "@aws-sdk", name),
  ]),
);

/** @type {import('jest').Config} */
module.exports = {
  projects: base.projects
    .filter((p) => p.displayName === "plugin" || p.displayName === "e2e")
    .map((p) => ({
      ...p,
      displayName: `${p.displayName} (SDK oldest)`,
      moduleNameMapper,
      // These run the library in a child process or from the built package, with the installed SDK.
      testPathIgnorePatterns: ["reliability-memory", "package\\.e2e"],
    })),
};
