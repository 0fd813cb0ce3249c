/**
 * Starts Amazon's DynamoDB Local on a free loopback port and stops it by PID.
 * Used by the e2e tier's global setup, the demo, the examples and the benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { fetchDynamoDBLocal } from "./fetch";

export interface DynamoDBLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts; it checks only that some are present. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const LOCAL_REGION = "us-east-1";

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function ensureJava(): void {
  const result = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (result.error || result.status !== 0) {
    throw new Error(
      "Java is required for DynamoDB Local. Install it with: apt-get install -y openjdk-17-jre-headless",
    );
  }
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `DynamoDB Local exited early (${child.exitCode ?? child.signalCode}):\n${output()}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(
      `DynamoDB Local did not answer ListTables within ${timeoutMs} ms:\n${output()}`,
    );
  } finally {
    client.destroy();
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolveStop();
    });
    child.kill("SIGTERM");
  });
}

export async function startDynamoDBLocal(
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<DynamoDBLocal> {
  ensureJava();
  const dir = fetchDynamoDBLocal(options.log);
  const port = await freePort();
  const child = spawn(
    "java",
    [
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      "-jar",
      join(dir, "DynamoDBLocal.jar"),
      "-inMemory",
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  // If this process exits without calling stop(), take DynamoDB Local down with it.
  const onExit = () => child.kill("SIGKILL");
  process.once("exit", onExit);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, () => output, options.timeoutMs ?? 60_000);
  } catch (error) {
    await stopProcess(child);
    process.removeListener("exit", onExit);
    throw error;
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    async stop() {
      await stopProcess(child);
      process.removeListener("exit", onExit);
    },
  };
}
