import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { isObject, type WireItem } from "../format/wire";
import { wireFromJson } from "../items/attribute-values";

/**
 * One line of a DynamoDB export in DynamoDB JSON format (and of an S3 import
 * file): `{"Item": {"pk": {"S": "…"}, …}}`. Returns a checked wire copy of the
 * item. Errors name the line, never its content.
 */
export function parseExportLine(text: string, line: number, table: ResolvedTable): WireItem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EncryptionError("export.lineInvalid", `Line ${line} is not JSON`, {
      table: table.name,
    });
  }
  // Precondition: a line is {"Item": {...}}; other content would be passed on unchecked.
  if (!isObject(parsed) || !isObject(parsed.Item) || Object.keys(parsed).length !== 1) {
    throw new EncryptionError(
      "export.lineInvalid",
      `Line ${line} is not an export line {"Item": {…}} in DynamoDB JSON`,
      { table: table.name },
    );
  }
  return wireFromJson(parsed.Item, table.name);
}

/** The line for an item, newline included. */
export function formatExportLine(item: WireItem): string {
  return `${JSON.stringify({ Item: item })}\n`;
}

/**
 * The item's key attributes in DynamoDB JSON, for reports: keys are never
 * encrypted, so they identify an item without showing a protected value.
 * Undefined when the line could not be read.
 */
export function keyOf(table: ResolvedTable, item: WireItem | undefined): WireItem | undefined {
  if (!item) return undefined;
  const key: WireItem = {};
  for (const name of [table.partitionKey, table.sortKey]) {
    if (name !== undefined && item[name] !== undefined) key[name] = item[name];
  }
  return key;
}
