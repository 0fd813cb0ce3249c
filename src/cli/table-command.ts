import { EncryptionError } from "../errors/encryption-error";
import { listKeys } from "../migration/list-keys";
import { migrateTable } from "../migration/migrate-table";
import type { BeaconCounts, MigrationReport } from "../migration/migration-report";
import type { CheckpointOption, MigrateTableOptions } from "../migration/table-options";
import type { RewriteKind } from "../migration/value-state";
import { verifyTable } from "../migration/verify-table";
import { type AwsOptions, dynamoClient, withKms } from "./aws-clients";
import { EXIT } from "./exit-codes";
import { loadConfig } from "./load-config";
import { createTableProgress } from "./table-progress";
import type { CliIo } from "./transform-command";

/** The options of `verify`, `migrate` and `keys`, as commander parses them. */
export interface TableCommandOptions extends AwsOptions {
  table: string;
  config: string;
  fields?: string[];
  only?: RewriteKind[];
  segments: number;
  worker?: { index: number; count: number };
  pageSize: number;
  maxRate?: number;
  maxCapacity?: number;
  checkpoint?: string;
  checkpointTable?: string;
  runId?: string;
  leaseSeconds?: number;
  resume?: boolean;
  dryRun?: boolean;
  sample?: number;
  concurrency?: number;
  json?: boolean;
}

function checkpointOf(options: TableCommandOptions): CheckpointOption | undefined {
  if (options.checkpointTable)
    return {
      table: options.checkpointTable,
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      ...(options.leaseSeconds !== undefined ? { leaseMs: options.leaseSeconds * 1000 } : {}),
    };
  if (options.checkpoint) return { file: options.checkpoint };
  return undefined;
}

/** One beaconed field's beacon counts, under its field's line. */
function beaconLine(report: MigrationReport, b: BeaconCounts): string {
  const uncheckable = Object.entries(b.uncheckable)
    .map(([code, n]) => `${code}: ${n}`)
    .join(", ");
  const n = Object.values(b.uncheckable).reduce((a, k) => a + (k ?? 0), 0);
  const done =
    report.command === "migrate"
      ? `; ${b.written} ${report.dryRun ? "to write" : "written"}, ${b.removed} ${report.dryRun ? "to remove" : "removed"}, ${b.deferred} deferred`
      : "";
  const composites = Object.entries(b.composites ?? {}).map(
    ([attribute, c]) =>
      `\n    composite ${attribute}: ${c.current} current, ${c.stale} stale, ${c.uncheckable} not checkable${report.command === "migrate" ? `; ${c.written} ${report.dryRun ? "to write" : "written"}` : ""}`,
  );
  return `    beacon ${b.attribute}: ${b.current} current, ${b.missing} missing, ${b.stale} stale, ${b.orphan} orphan, ${n} not checkable${uncheckable ? ` (${uncheckable})` : ""}${done}${composites.join("")}`;
}

function summary(report: MigrationReport): string {
  const out: string[] = [];
  const seconds = (report.elapsedMs / 1000).toFixed(1);
  out.push(
    `${report.command} ${report.table}: ${report.status}${report.dryRun ? " (dry run: nothing written)" : ""}; ${report.items.scanned} items scanned in ${seconds} s${report.sampled ? " (a sample)" : ""}`,
  );
  for (const [path, c] of Object.entries(report.fields)) {
    const bad = Object.entries(c.undecryptable)
      .map(([code, n]) => `${code}: ${n}`)
      .join(", ");
    out.push(
      `  ${path}: ${c.plaintext} plaintext, ${c.current} current, ${c.notCurrent.keys} under a retired key, ${c.notCurrent.formats} in another format, ${Object.values(c.undecryptable).reduce((a, n) => a + (n ?? 0), 0)} undecryptable${bad ? ` (${bad})` : ""}, ${c.invalid} misshapen, ${c.missing} missing${report.command === "migrate" ? `; ${c.rewritten} rewritten` : ""}`,
    );
    for (const [bucket, n] of Object.entries(c.encrypted)) out.push(`    ${bucket}: ${n}`);
    if (c.beacons) out.push(beaconLine(report, c.beacons));
  }
  if (report.keys.length > 0) {
    out.push("  keys:");
    for (const k of report.keys)
      out.push(`    ${k.keyId} (${k.current ? "current" : "retired"}): ${k.values} values`);
  }
  for (const p of report.undecryptable)
    out.push(`  undecryptable: key ${JSON.stringify(p.key)} field ${p.field ?? "?"}: ${p.code}`);
  for (const p of report.copies ?? [])
    out.push(
      `  copy: key ${JSON.stringify(p.key)} attribute ${p.attribute ?? "?"} holds the plaintext of field ${p.field ?? "?"}`,
    );
  for (const p of report.failures)
    out.push(`  failed: key ${JSON.stringify(p.key)}: ${p.code} ${p.message ?? ""}`);
  const i = report.items;
  if (report.command === "migrate")
    out.push(
      `  items: ${i.rewritten} ${report.dryRun ? "to rewrite" : "rewritten"}, ${i.current} current, ${i.skipped} with undecryptable values left as they are, ${i.conflicts} conflicts, ${i.failed} failed`,
    );
  if (report.command !== "migrate")
    out.push(
      `  items: ${i.current} current, ${i.notCurrent} with values or beacons to rewrite, ${i.skipped} with undecryptable values${i.copies !== undefined ? `, ${i.copies} holding a copy of an encrypted value in plaintext` : ""}`,
    );
  for (const note of report.notes) out.push(`  note: ${note}`);
  if (report.error) out.push(`error: ${report.error.message}`);
  return `${out.join("\n")}\n`;
}

const EXIT_OF: Record<MigrationReport["status"], number> = {
  ok: EXIT.ok,
  notCurrent: EXIT.notCurrent,
  failed: EXIT.failed,
  interrupted: EXIT.interrupted,
};

/**
 * Runs `verify`, `migrate` or `keys`: a thin layer over `verifyTable`,
 * `migrateTable` and `listKeys`. The report goes to stdout (JSON with
 * `--json`), progress to stderr. Everything checked before the scan (config,
 * table, options, checkpoint) exits 2 with nothing written.
 */
export async function runTableCommand(
  command: "verify" | "migrate" | "keys",
  options: TableCommandOptions,
  io: CliIo,
): Promise<number> {
  const progress = createTableProgress(io.stderr, command);
  const client = dynamoClient(options);
  try {
    const config = withKms(await loadConfig(options.config), options);
    const checkpoint = checkpointOf(options);
    const common: MigrateTableOptions = {
      config,
      table: options.table,
      client,
      segments: options.segments,
      pageSize: options.pageSize,
      ...(options.fields ? { fields: options.fields } : {}),
      ...(options.only ? { only: options.only } : {}),
      ...(options.worker ? { worker: options.worker } : {}),
      ...(options.maxRate !== undefined ? { maxRate: options.maxRate } : {}),
      ...(options.maxCapacity !== undefined ? { maxCapacity: options.maxCapacity } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      ...(options.resume ? { resume: true } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (p) => progress.update(p),
    };
    let report: MigrationReport;
    if (command === "migrate")
      report = await migrateTable({
        ...common,
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      });
    else {
      const verifyOptions = {
        ...common,
        ...(options.sample !== undefined ? { sample: options.sample } : {}),
      };
      report =
        command === "verify" ? await verifyTable(verifyOptions) : await listKeys(verifyOptions);
    }
    progress.stop();
    io.stdout.write(options.json ? `${JSON.stringify(report)}\n` : summary(report));
    if (report.status === "interrupted" && io.signal?.reason === "SIGTERM") return EXIT.terminated;
    // `keys` is a listing: it fails only when the run did.
    if (command === "keys" && report.status === "notCurrent") return EXIT.ok;
    return EXIT_OF[report.status];
  } catch (error) {
    progress.stop();
    const code = error instanceof EncryptionError ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    if (options.json)
      io.stdout.write(
        `${JSON.stringify({ command, table: options.table, status: "failed", error: { code, message } })}\n`,
      );
    io.stderr.write(`${command}: ${message}\n`);
    // Errors before the scan (config, table, options, checkpoint) mean nothing was done.
    return error instanceof EncryptionError ? EXIT.usage : EXIT.failed;
  } finally {
    client.destroy();
  }
}
