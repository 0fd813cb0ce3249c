import { PassThrough } from "node:stream";
import { createTableProgress } from "../../../src/cli/table-progress";
import type { MigrationProgress } from "../../../src/migration/table-options";

const progress: MigrationProgress = {
  scanned: 1200,
  rewritten: 300,
  current: 880,
  conflicts: 2,
  failed: 0,
  itemsPerSecond: 412.4,
  estimatedItems: 10_000,
  segmentsFinished: 1,
  totalSegments: 4,
};

describe("createTableProgress when stderr is not a terminal", () => {
  it("prints plain lines with the counts, rate and segments, and no escape codes", () => {
    const stream = new PassThrough();
    const shown = createTableProgress(stream, "migrate", 0);
    shown.update(progress);
    shown.stop();
    const text = String(stream.read());
    expect(text).toBe(
      "migrate: 1200 scanned, 300 rewritten, 880 current, 2 conflicts, 0 failed, 412 items/s, 1/4 segments\n",
    );
  });

  it("with beacons in scope, the plain line also counts beacons to repair and repaired", () => {
    const stream = new PassThrough();
    const shown = createTableProgress(stream, "verify", 0);
    shown.update({ ...progress, beacons: { toRepair: 40, repaired: 7 } });
    expect(String(stream.read())).toBe(
      "verify: 1200 scanned, 300 rewritten, 880 current, 2 conflicts, 0 failed, beacons: 40 to repair, 7 repaired, 412 items/s, 1/4 segments\n",
    );
  });

  it("prints at most one line per interval", () => {
    const stream = new PassThrough();
    const shown = createTableProgress(stream, "verify", 60_000);
    shown.update(progress);
    shown.update(progress);
    expect(stream.read()).toBeNull();
  });
});
