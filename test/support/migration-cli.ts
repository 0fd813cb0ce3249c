import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { dynamoEndpoint } from "./dynamodb";

const MAIN = join(__dirname, "..", "..", "src", "cli", "main.ts");
const SRC = join(__dirname, "..", "..", "src", "index");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Writes a config module for CLI child processes: the mixed table's target
 * config, reaching the KMS test server at `kmsEndpoint` with the real
 * `@aws-sdk/client-kms` (imported by absolute path, as the module lives in a
 * temporary folder).
 */
export function writeMixedConfig(
  file: string,
  options: { table: string; kmsEndpoint: string; current: string; retired: string },
): string {
  const kms = require.resolve("@aws-sdk/client-kms");
  const field = `{ decryptOnlyKeyIds: [${JSON.stringify(options.retired)}], acceptFormats: ["pydynox", "kms"] }`;
  writeFileSync(
    file,
    `import { KMSClient } from ${JSON.stringify(kms)};\n` +
      `import type { FieldEncryptionConfig } from ${JSON.stringify(SRC)};\n` +
      `const kmsClient = new KMSClient({ endpoint: ${JSON.stringify(options.kmsEndpoint)}, region: "us-east-1", credentials: { accessKeyId: "cli", secretAccessKey: "cli" } });\n` +
      `const config: FieldEncryptionConfig = { keyId: ${JSON.stringify(options.current)}, kmsClient, tables: { ${JSON.stringify(options.table)}: { partitionKey: "pk", fields: { ssn: ${field}, "card.number": ${field} } } } };\n` +
      `export default config;\n`,
  );
  return file;
}

/** Starts the CLI from source in its own process, against DynamoDB Local through the standard endpoint variable. */
export function startCli(args: readonly string[]): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      NODE_NO_WARNINGS: "1",
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export const runCliProcess = (args: readonly string[]) => startCli(args).done;
