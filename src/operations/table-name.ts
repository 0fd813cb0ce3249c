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

/** The first configured table name that occurs in `text` (a statement, or a body being reported on). */
export function mentionedTable(tableNames: Iterable<string>, text: string): string | undefined {
  for (const name of tableNames) if (text.includes(name)) return name;
  return undefined;
}
