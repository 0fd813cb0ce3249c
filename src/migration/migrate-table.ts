import type { MigrationReport } from "./migration-report";
import { runTable } from "./table-run";
import type { MigrateTableOptions } from "./table-options";

/**
 * Rewrites the values of a table that are not in their field's target state:
 * plaintext is encrypted, values under a retired key or in another format or
 * scheme are re-encrypted with the field's current settings, through the same
 * engine (binding, keys, cache) as the plugin. Each item is one `UpdateItem`
 * that `SET`s only the changed attributes, conditional on them still holding
 * exactly what was read; a conflict re-reads the item and retries. Values
 * already current are not written; values that do not decrypt are reported
 * and left untouched. Progress is checkpointed after each page, so a stopped
 * run continues with `resume: true`, and re-running is always safe.
 *
 * @example
 * ```ts
 * const report = await migrateTable({ config, table: "Users", segments: 4 });
 * const { rewritten, conflicts } = report.items;
 * ```
 */
export function migrateTable(options: MigrateTableOptions): Promise<MigrationReport> {
  return runTable("migrate", options);
}
