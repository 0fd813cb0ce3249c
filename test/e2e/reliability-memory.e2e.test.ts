/**
 * Reliability 8: over 100,000 operations nothing the plugin handles stays
 * reachable (counted with WeakRefs after a full GC, not measured in bytes),
 * and a process using the plugin exits by itself.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const OPERATIONS = Number(process.env.MEMORY_OPERATIONS ?? 100_000);

interface Report {
  total: number;
  maxEntries: number;
  dataKeys: number;
  dataKeysReachable: number;
  messages: number;
  messagesReachable: number;
  heap: Record<string, number>;
}

describe("memory and leaks", () => {
  it(`${OPERATIONS} operations leave no command input or output and no evicted data key reachable, and the process exits by itself (no timers or handles left)`, async () => {
    // execFile resolves only once the script's process has exited: it never calls destroy().
    const { stdout } = await run(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "tsx",
        join(root, "test/support/scripts/many-operations.ts"),
        String(OPERATIONS),
      ],
      { cwd: root, timeout: 300_000 },
    );
    const report = JSON.parse(stdout.trim().split("\n").pop()!) as Report;
    const mib = (n: number | undefined) => ((n ?? 0) / 2 ** 20).toFixed(1);
    process.stdout.write(
      `memory: ${report.dataKeysReachable} of ${report.dataKeys} data keys and ${report.messagesReachable} of ${report.messages} sampled command inputs and outputs still reachable; heap ${mib(report.heap[String(OPERATIONS / 10)])} MiB after ${OPERATIONS / 10} operations, ${mib(report.heap[String(OPERATIONS)])} MiB after ${OPERATIONS}; exited by itself\n`,
    );
    expect(report.total).toBe(OPERATIONS);
    expect(report.messages).toBe(2 * Math.floor(OPERATIONS / 10));
    // A new data key every 100 puts, each opened again by the gets: far more than the cache holds.
    expect(report.dataKeys).toBeGreaterThanOrEqual(Math.floor(OPERATIONS / 200));
    expect(report.dataKeys).toBeGreaterThan(report.maxEntries);
    // Only the cache's own entries keep data keys; evicted ones are released.
    expect(report.dataKeysReachable).toBeLessThanOrEqual(report.maxEntries);
    // A constant few (the SDK keeps its first call's input), never a number that grows with the run.
    expect(report.messagesReachable).toBeLessThanOrEqual(2);
  }, 320_000);
});
