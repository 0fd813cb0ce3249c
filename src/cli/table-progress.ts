import { Presets, SingleBar } from "cli-progress";
import type { MigrationProgress } from "../migration/table-options";

/** Shows a table run's progress on stderr: a live bar on a terminal, a plain line every few seconds otherwise. */
export interface TableProgress {
  update(progress: MigrationProgress): void;
  stop(): void;
}

/** The beacon figures, when beacons are in scope. */
const beaconText = (p: MigrationProgress) =>
  p.beacons ? `, beacons: ${p.beacons.toRepair} to repair, ${p.beacons.repaired} repaired` : "";

const line = (command: string, p: MigrationProgress) =>
  `${command}: ${p.scanned} scanned, ${p.rewritten} rewritten, ${p.current} current, ${p.conflicts} conflicts, ${p.failed} failed${beaconText(p)}, ${Math.round(p.itemsPerSecond)} items/s, ${p.segmentsFinished}/${p.totalSegments} segments`;

/**
 * cli-progress (already the export commands' display): on a TTY, a bar over
 * DynamoDB's approximate item count with its ETA; in CI logs and containers,
 * where a bar would print escape codes, one plain line every `everyMs`.
 */
export function createTableProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  command: string,
  everyMs = 5_000,
): TableProgress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format:
          "{bar} {percentage}% | ETA {eta_formatted} | {value} scanned | {rewritten} rewritten | {current} current | {conflicts} conflicts | {failed} failed{beacons} | {rate} items/s",
        hideCursor: true,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          rewritten: p.rewritten,
          current: p.current,
          conflicts: p.conflicts,
          failed: p.failed,
          beacons: p.beacons
            ? ` | ${p.beacons.toRepair} beacons to repair | ${p.beacons.repaired} repaired`
            : "",
          rate: Math.round(p.itemsPerSecond),
        };
        const total = Math.max(p.estimatedItems ?? 0, p.scanned, 1);
        if (!started) {
          bar.start(total, p.scanned, payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(p.scanned, payload);
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = Date.now();
  return {
    update(p) {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
      stream.write(`${line(command, p)}\n`);
    },
    stop: () => undefined,
  };
}
