/**
 * Installs the oldest AWS SDK versions in the declared peer range into the
 * git-ignored `.cache/sdk-oldest`, so that `npm run test:sdk-oldest` runs the
 * plugin and e2e tiers against them (jest.sdk-oldest.config.js maps the
 * imports there). The newest versions are the project's own devDependencies.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The floor of the peer range in package.json; keep the two in step. */
export const OLDEST_SDK = "3.600.0";
const PACKAGES = ["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/util-dynamodb"];

export const SDK_OLDEST_DIR = join(__dirname, "..", "..", ".cache", "sdk-oldest");

function installed(): boolean {
  return PACKAGES.every((name) => {
    const file = join(SDK_OLDEST_DIR, "node_modules", name, "package.json");
    return (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version === OLDEST_SDK
    );
  });
}

if (require.main === module) {
  if (installed()) {
    console.log(`AWS SDK ${OLDEST_SDK} already in ${SDK_OLDEST_DIR}`);
  } else {
    mkdirSync(SDK_OLDEST_DIR, { recursive: true });
    writeFileSync(
      join(SDK_OLDEST_DIR, "package.json"),
      `${JSON.stringify({ name: "sdk-oldest", private: true }, null, 2)}\n`,
    );
    console.log(`Installing AWS SDK ${OLDEST_SDK} into ${SDK_OLDEST_DIR}…`);
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--ignore-scripts",
        ...PACKAGES.map((name) => `${name}@${OLDEST_SDK}`),
      ],
      { cwd: SDK_OLDEST_DIR, stdio: "inherit" },
    );
  }
}
