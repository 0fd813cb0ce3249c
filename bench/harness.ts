import { Bench } from "tinybench";

/** One measured comparison: median latencies and the median of per-round ratios to the baseline. */
export interface Comparison {
  section: string;
  name: string;
  baseline: string;
  /** Median latency per task, in microseconds. */
  medianUs: Record<string, number>;
  /** Median over rounds of (task latency / baseline latency). */
  ratio: Record<string, number>;
  /** What the target is and whether it was met, when there is one. */
  target?: { description: string; met: boolean };
}

export interface HarnessOptions {
  rounds: number;
  /** Milliseconds per task per round. */
  time: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs the baseline and the candidates interleaved, round after round, with
 * tinybench, and reports medians: the machine is shared and noisy, so only
 * ratios measured side by side mean anything.
 */
export async function compare(
  section: string,
  name: string,
  tasks: Record<string, () => unknown>,
  baseline: string,
  options: HarnessOptions,
): Promise<Comparison> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(tasks).map((k) => [k, []]),
  );
  const ratios: Record<string, number[]> = Object.fromEntries(
    Object.keys(tasks).map((k) => [k, []]),
  );
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ time: options.time, warmupTime: Math.min(50, options.time / 2) });
    // Alternate the order each round so neither side always runs first.
    const names = round % 2 ? Object.keys(tasks).reverse() : Object.keys(tasks);
    for (const task of names) bench.add(task, tasks[task]!);
    await bench.run();
    const latency: Record<string, number> = {};
    for (const task of bench.tasks) {
      const result = task.result as { state?: string; latency?: { p50: number }; error?: unknown };
      if (!result.latency)
        throw new Error(`${section} / ${name} / ${task.name} failed: ${String(result.error)}`);
      latency[task.name] = result.latency.p50 * 1000;
    }
    for (const task of Object.keys(tasks)) {
      samples[task]!.push(latency[task]!);
      ratios[task]!.push(latency[task]! / latency[baseline]!);
    }
  }
  return {
    section,
    name,
    baseline,
    medianUs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])),
    ratio: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, median(v)])),
  };
}

export function withTarget(c: Comparison, description: string, met: boolean): Comparison {
  return { ...c, target: { description, met } };
}
