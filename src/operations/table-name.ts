import { EncryptionError } from "../errors/encryption-error";

/** The table name from a `TableName` that may be a table ARN (`arn:aws:dynamodb:…:table/Name`). */
export function tableNameOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (!value.startsWith("arn:")) return value;
  const at = value.indexOf(":table/");
  if (at < 0) return value;
  const rest = value.slice(at + ":table/".length);
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

/**
 * The first configured table name that occurs in `text` (a statement, or a
 * body being reported on), in any letter case: a statement that spells a
 * configured name otherwise must still be parsed, and then refused.
 */
export function mentionedTable(tableNames: Iterable<string>, text: string): string | undefined {
  let folded: string | undefined;
  for (const name of tableNames) {
    if (text.includes(name)) return name;
    folded ??= text.toLowerCase();
    if (folded.includes(name.toLowerCase())) return name;
  }
  return undefined;
}

/** A valid DynamoDB table name, and a well-formed table ARN (with an index or stream after the name, or not). */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const TABLE_ARN = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[a-zA-Z0-9_.-]{3,255}(\/.*)?$/;

/**
 * Refuses a table name that is not a configured name (exactly, or as the
 * table of an ARN) yet names one when letter case is ignored: `users` or
 * `ARN:aws:dynamodb:…:Table/Users` beside a configured `Users`. Whether
 * DynamoDB reads such a name as the configured table cannot be checked here
 * (DynamoDB Local refuses every ARN), and passing it through would send the
 * table's fields unencrypted if it did; table names are ASCII, so folding
 * ASCII letters is enough.
 */
export function refuseLookalikeTable(tableNames: Iterable<string>, value: unknown): void {
  if (typeof value !== "string") return;
  const folded = value.toLowerCase();
  let name = folded;
  if (folded.startsWith("arn:")) {
    const at = folded.indexOf(":table/");
    if (at >= 0) name = folded.slice(at + ":table/".length).split("/")[0]!;
  }
  const names = [...tableNames];
  // A name DynamoDB cannot accept (a stray space or newline, a malformed ARN) that still mentions a configured table is refused as well: it most likely meant that table.
  const aimedAt =
    !TABLE_NAME.test(value) && !TABLE_ARN.test(value) ? mentionedTable(names, value) : undefined;
  for (const configured of names) {
    const lower = configured.toLowerCase();
    if (lower === name || lower === folded || configured === aimedAt)
      throw new EncryptionError(
        "table.nameAmbiguous",
        `The request names the table as ${JSON.stringify(value)}, which is not the configured table "${configured}" nor its ARN, but differs from it only in letter case or is not a valid table name; the plugin cannot tell whether DynamoDB reads it as that table, so it refuses it. Use the exact name. Nothing was sent.`,
        { table: configured },
      );
  }
}
