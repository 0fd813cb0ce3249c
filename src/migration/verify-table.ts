import type { MigrationReport } from "./migration-report";
import { runTable } from "./table-run";
import type { VerifyTableOptions } from "./table-options";

/**
 * Scans a table, read-only, and reports per configured field how many values
 * are missing, plaintext, current, under a retired key or in another format
 * (by format, scheme and key), and which items hold values that do not
 * decrypt (by key, never values). `status` is `ok` only when every value in
 * scope is in its field's target state: the gate to pass before switching
 * `allowPlaintext` off or retiring a key.
 *
 * @example
 * ```ts
 * const report = await verifyTable({ config, table: "Users" });
 * if (report.status !== "ok") throw new Error("values left to migrate");
 * ```
 */
export function verifyTable(options: VerifyTableOptions): Promise<MigrationReport> {
  return runTable("verify", options);
}
