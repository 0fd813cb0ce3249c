/**
 * `npm run bench`: the benchmark suite. Every figure is a ratio to a baseline
 * measured in the same process, interleaved, with medians over rounds.
 * `npm run bench -- --quick` is a short smoke run; `--only <section>` runs one;
 * `--rounds <n>` measures each comparison over n rounds (default 5).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Comparison, HarnessOptions } from "./harness";
import { cryptoCore } from "./sections/crypto-core";
import { sections as allSections } from "./sections/index";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const roundsArg = args.includes("--rounds")
  ? Number(args[args.indexOf("--rounds") + 1])
  : undefined;
if (roundsArg !== undefined && !(Number.isInteger(roundsArg) && roundsArg > 0))
  throw new Error("--rounds takes a whole number of rounds, 1 or more");
// More rounds narrow the median per-round ratio on a noisy machine, at the cost of time.
const options: HarnessOptions = quick
  ? { rounds: roundsArg ?? 2, time: 100 }
  : { rounds: roundsArg ?? 5, time: 400 };

type Section = { name: string; run: () => Promise<Comparison[] | Record<string, unknown>> };

function printComparison(c: Comparison): void {
  console.log(`\n${c.section}: ${c.name}`);
  const rows = Object.keys(c.medianUs).map((task) => ({
    task,
    "median µs": c.medianUs[task]!.toFixed(1),
    [`× ${c.baseline}`]: c.ratio[task]!.toFixed(3),
  }));
  console.table(rows);
  if (c.target)
    console.log(`  target: ${c.target.description} → ${c.target.met ? "PASS" : "MISS"}`);
}

async function main(): Promise<void> {
  const sections: Section[] = [{ name: "crypto", run: () => cryptoCore(options) }];
  const rest = allSections(options, quick);
  sections.push(...rest.sections);
  try {
    await runSections(sections);
  } finally {
    await rest.close();
  }
}

async function runSections(sections: Section[]): Promise<void> {
  const output: Record<string, unknown> = {
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    options: { quick, ...options },
    date: new Date().toISOString(),
  };
  const summary: { target: string; met: boolean }[] = [];
  for (const section of sections) {
    if (only && section.name !== only) continue;
    console.log(`\n=== ${section.name} ===`);
    const result = await section.run();
    output[section.name] = result;
    if (Array.isArray(result)) {
      for (const c of result) {
        printComparison(c);
        if (c.target)
          summary.push({ target: `${c.section}: ${c.target.description}`, met: c.target.met });
      }
    } else {
      console.dir(result, { depth: 5 });
      for (const t of (result.targets as { description: string; met: boolean }[] | undefined) ?? [])
        summary.push({ target: t.description, met: t.met });
    }
  }
  console.log("\n=== targets ===");
  for (const s of summary) console.log(`${s.met ? "PASS" : "MISS"}  ${s.target}`);
  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, quick ? "quick.json" : "latest.json");
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
