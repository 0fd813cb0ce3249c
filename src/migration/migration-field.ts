import type { ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionMode } from "../config/encryption-mode";
import { EncryptionError } from "../errors/encryption-error";

/**
 * A configured field as the tools see it, with a one-field table for the
 * engine. The tools read and write every field whatever its `mode`, and see
 * plaintext whatever `allowPlaintext` says: both describe the application's
 * clients, and the tools' job is to encrypt what those clients may not read.
 * Everything else (keys, context, formats the field accepts, binding) is the
 * field's own, so the tools decrypt and encrypt exactly as the plugin does.
 */
export interface MigrationField {
  /** The field as configured. */
  readonly field: ResolvedField;
  /** The table with only this field, in ReadWrite mode and with plaintext allowed, for the engine. */
  readonly table: ResolvedTable;
}

/** The fields the tools work on: all of the table's, or those named by `fields`. */
export function migrationFields(
  table: ResolvedTable,
  names: readonly string[] | undefined,
): MigrationField[] {
  const chosen = names === undefined ? table.fields : [];
  for (const name of names ?? []) {
    const field = table.fields.find((f) => f.path === name);
    // Precondition: every named field is configured; a typo must not silently check nothing.
    if (!field)
      throw new EncryptionError(
        "migration.optionsInvalid",
        `--fields: "${name}" is not a configured field of ${table.name} (configured: ${table.fields.map((f) => f.path).join(", ")})`,
        { table: table.name },
      );
    (chosen as ResolvedField[]).push(field);
  }
  return chosen.map((original) => {
    const field: ResolvedField = {
      ...original,
      mode: EncryptionMode.ReadWrite,
      allowPlaintext: true,
    };
    return { field: original, table: { ...table, fields: [field] } };
  });
}
