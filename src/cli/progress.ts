import { SingleBar, Presets } from "cli-progress";
import type { LineTransformStats } from "../exports/item-line-transform";

/** Shows how far a run got: a bar on a terminal, a plain line now and then otherwise, nothing in --json mode. */
export interface Progress {
  /** `bytesRead`: bytes of the input file read so far (compressed, if it is). */
  update(stats: Readonly<LineTransformStats>, bytesRead: number): void;
  stop(): void;
}

/**
 * A progress display on `stream` (stderr, so stdout stays data). On a TTY a
 * cli-progress bar over input bytes, when the input size is known; otherwise
 * one plain line every `every` lines.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  options: { totalBytes: number | undefined; quiet: boolean; every?: number },
): Progress {
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY && options.totalBytes !== undefined) {
    const bar = new SingleBar(
      {
        stream,
        format: "{bar} {percentage}% | {lines} lines | {items} items | {failed} failed",
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(options.totalBytes, 0, { lines: 0, items: 0, failed: 0 });
    return {
      update: (s, bytesRead) =>
        bar.update(bytesRead, { lines: s.lines, items: s.items, failed: s.failed }),
      stop: () => bar.stop(),
    };
  }
  const every = options.every ?? 100_000;
  let next = every;
  return {
    update(s) {
      if (s.lines < next) return;
      next = s.lines - (s.lines % every) + every;
      stream.write(`${s.lines} lines, ${s.items} items, ${s.failed} failed\n`);
    },
    stop: () => undefined,
  };
}
