import type { HandlerExecutionContext, InitializeMiddleware, MetadataBearer } from "@smithy/types";
import type { ResolvedConfig } from "../config/resolved-config";
import { mentionedTable } from "../operations/table-name";

/** What the SDK logger prints in place of a redacted value. */
export const REDACTED = "***SensitiveInformation***";

/** How deep the filter walks; anything deeper is redacted whole. */
const MAX_DEPTH = 128;

/** Properties whose whole value is redacted: expression values and PartiQL parameters can hold plaintext of encrypted fields. */
const ALWAYS = new Set(["ExpressionAttributeValues", "Parameters"]);

/**
 * A log filter for the SDK's logger middleware: a copy of a command's input or
 * output with the value of every attribute that is, or holds, an encrypted
 * field (or a beacon attribute, `names` holds both) replaced by
 * {@link REDACTED}, at any depth and for both the Document
 * client's plain values and AttributeValues. A PartiQL `Statement` that names
 * a configured table is redacted whole, in `ExecuteStatement` as in
 * `BatchExecuteStatement`'s `Statements[]` and `ExecuteTransaction`'s
 * `TransactStatements[]`: its literals may be secrets (a refused
 * `'ssn': '123-45-6789'` is logged too). It over-redacts (any attribute with
 * such a name, any statement that mentions such a table) rather than risk
 * plaintext in logs.
 */
export function redactor(
  names: ReadonlySet<string>,
  tableNames: readonly string[],
): (value: unknown) => unknown {
  const secret = (key: string, value: unknown): boolean =>
    names.has(key) ||
    ALWAYS.has(key) ||
    (key === "Statement" &&
      typeof value === "string" &&
      mentionedTable(tableNames, value) !== undefined);
  const redact = (value: unknown, depth: number): unknown => {
    if (typeof value !== "object" || value === null) return value;
    // Deeper than any input DynamoDB accepts (32 levels of maps, two wire levels each): not walked, so not shown.
    if (depth > MAX_DEPTH) return REDACTED;
    if (value instanceof Uint8Array) return value;
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
    if (value instanceof Set) return new Set([...value].map((v) => redact(v, depth + 1)));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = secret(k, v) ? REDACTED : redact(v, depth + 1);
    return out;
  };
  return (value) => redact(value, 0);
}

/**
 * The redactor of a config: every attribute that holds an encrypted field, and
 * every beacon attribute (a beacon is not the plaintext, but it tells which
 * logged items hold equal values), and statements on every configured table.
 */
export function configRedactor(resolved: ResolvedConfig): (value: unknown) => unknown {
  return redactor(
    new Set(
      [...resolved.tables.values()].flatMap((t) => [
        ...t.rootNames,
        ...t.beaconAttributes.keys(),
        // The logger prints the caller's input, which embeds the plaintext in a composite attribute.
        ...t.compositeAttributes.keys(),
      ]),
    ),
    [...resolved.tables.keys()],
  );
}

/** Makes the SDK's logger middleware, which reads these filters from the context after the call, print `redact`'s copies. */
export function setLogFilters(
  context: HandlerExecutionContext,
  redact: (value: unknown) => unknown,
  redactInput: (value: unknown) => unknown = redact,
): void {
  const logging = context as { dynamoDbDocumentClientOptions?: Record<string, unknown> };
  logging.dynamoDbDocumentClientOptions = {
    ...logging.dynamoDbDocumentClientOptions,
    overrideInputFilterSensitiveLog: redactInput,
    overrideOutputFilterSensitiveLog: redact,
  };
}

/** How a command's own middleware stack (not the client's) is added to, whatever the command's types. */
type CommandStack = {
  add(middleware: InitializeMiddleware<object, MetadataBearer>, options: object): void;
};

/**
 * `command`, with the plugin's log redaction on its own middleware stack: for
 * the whole-table tools, which send through the caller's client (without the
 * plugin, which they may not have) values the SDK's logger would otherwise
 * print: stored items, legacy plaintext, and the old raw value their
 * conditional writes compare. The caller's client is left as it is.
 */
export function withLogRedaction<C extends { middlewareStack: object }>(
  command: C,
  redact: (value: unknown) => unknown,
): C {
  const middleware: InitializeMiddleware<object, MetadataBearer> = (next, context) => (args) => {
    setLogFilters(context, redact);
    return next(args);
  };
  (command.middlewareStack as CommandStack).add(middleware, {
    step: "initialize",
    name: "fieldEncryptionToolLogRedaction",
    priority: "high",
  });
  return command;
}
