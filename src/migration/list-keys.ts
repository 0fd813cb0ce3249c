import type { KeyCount } from "./migration-report";
import { runTable } from "./table-run";
import type { VerifyTableOptions } from "./table-options";
import type { MigrationReport } from "./migration-report";

/**
 * The keys a table's values are under, with counts per key and field: "can I
 * disable the old key yet?" A retired key (`current: false`) with no values
 * left can be retired. Values that do not decrypt under any of the field's
 * keys are in the report's `undecryptable` list, not here.
 *
 * @example
 * ```ts
 * const { keys } = await listKeys({ config, table: "Users" });
 * const old = keys.find((k) => k.keyId === oldKeyArn); // undefined: nothing left under it
 * ```
 */
export async function listKeys(
  options: VerifyTableOptions,
): Promise<MigrationReport & { keys: KeyCount[] }> {
  return runTable("keys", options);
}
