import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";

/**
 * The configured table called `name`: by table name first, then by
 * `logicalName` (so a restored or copied table, or a stream of one, is found
 * under the name its ciphertexts are bound to).
 */
export function findTable(config: ResolvedConfig, name: string): ResolvedTable | undefined {
  const direct = config.tables.get(name);
  if (direct) return direct;
  for (const table of config.tables.values()) if (table.logicalName === name) return table;
  return undefined;
}

/**
 * Like {@link findTable}, but a name the config does not know is an error:
 * outside a request there is no safe default (a typo would otherwise return
 * items unencrypted).
 */
export function requireTable(config: ResolvedConfig, name: string): ResolvedTable {
  const table = findTable(config, name);
  // Precondition: the table is configured; an unknown one would pass values through unencrypted.
  if (!table) {
    throw new EncryptionError(
      "table.unknown",
      `No table "${name}" in the config (by table name or logicalName); configured: ${[...config.tables.keys()].join(", ")}`,
      { table: name },
    );
  }
  return table;
}
