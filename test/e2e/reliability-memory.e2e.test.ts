/** Reliability 8: memory stays flat over 100,000 operations, and a process using the plugin exits by itself. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const OPERATIONS = Number(process.env.MEMORY_OPERATIONS ?? 100_000);

describe("memory and leaks", () => {
  it(`${OPERATIONS} operations keep the heap flat, and the process exits by itself (no timers or handles left)`, async () => {
    const started = Date.now();
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
    const { heap } = JSON.parse(stdout.trim().split("\n").pop()!) as {
      heap: Record<string, number>;
    };
    const early = heap[String(OPERATIONS / 10)]!;
    const late = heap[String(OPERATIONS)]!;
    const growthMiB = (late - early) / 2 ** 20;
    process.stdout.write(
      `memory: heap ${(early / 2 ** 20).toFixed(1)} MiB after ${OPERATIONS / 10} operations, ${(late / 2 ** 20).toFixed(1)} MiB after ${OPERATIONS} (${growthMiB.toFixed(1)} MiB growth); ran ${((Date.now() - started) / 1000).toFixed(0)} s and exited by itself\n`,
    );
    expect(growthMiB).toBeLessThan(8);
  }, 320_000);
});
