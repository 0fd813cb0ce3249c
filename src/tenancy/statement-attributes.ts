import type { ResolvedTable } from "../config/resolved-config";
import type { ValueTarget } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { relate } from "../expressions/field-relation";
import { isObject, type WireItem, type WireValue } from "../format/wire";
import type { Condition, Expr } from "../partiql/ast";
import { parseStatement } from "../partiql/parser";
import { setOwn } from "../util/own-property";

/** The AttributeValue a `?` parameter, string or number literal stands for; undefined for anything else. */
function valueOf(expr: Expr, params: readonly unknown[]): WireValue | undefined {
  if (expr.kind === "param") return params[expr.index] as WireValue | undefined;
  if (expr.kind === "literal" && expr.type === "string") return { S: expr.text };
  if (expr.kind === "literal" && expr.type === "number") return { N: expr.text };
  return undefined;
}

/** Attributes of `names` pinned by `name = value` comparisons joined with AND at the top of a WHERE clause. */
function pinned(
  where: Condition | undefined,
  params: readonly unknown[],
  names: ReadonlySet<string>,
  into: Record<string, unknown>,
): void {
  if (!where) return;
  if (where.kind === "and") {
    pinned(where.left, params, names, into);
    pinned(where.right, params, names, into);
  } else if (where.kind === "compare" && where.operator === "=") {
    for (const [path, value] of [
      [where.left, where.right],
      [where.right, where.left],
    ] as const) {
      const name = path.kind === "path" && path.steps.length === 1 ? path.steps[0] : undefined;
      const v = typeof name === "string" && names.has(name) ? valueOf(value, params) : undefined;
      if (v) setOwn(into, name as string, v);
    }
  }
}

/**
 * For a PartiQL statement on a table whose keys or contexts the item's
 * attributes choose: gives every parameter it encrypts (targets from
 * `first` on) what the statement says about those attributes (an INSERT's
 * tuple; an UPDATE's `WHERE` key and `SET attr = ?`), and adds the attributes
 * a `WHERE` pins to `key`, which decrypting the response falls back on. A
 * SELECT that returns encrypted fields without those attributes, selected
 * or pinned, is refused before it is sent (`tenant.attributeMissing`).
 * Returns the attributes known.
 */
export function statementAttributes(
  table: ResolvedTable,
  text: string,
  parameters: unknown,
  key: WireItem | undefined,
  targets: ValueTarget[],
  first: number,
): WireItem {
  const { statement } = parseStatement(text);
  const params = Array.isArray(parameters) ? (parameters as unknown[]) : [];
  const names = new Set([
    table.partitionKey,
    ...(table.sortKey === undefined ? [] : [table.sortKey]),
    ...table.tenantAttributes,
  ]);
  const attributes: Record<string, unknown> = {};
  if (key) for (const [n, v] of Object.entries(key)) setOwn(attributes, n, v);
  switch (statement.kind) {
    case "insert": {
      const value = statement.value;
      if (value.kind === "tuple") {
        for (const entry of value.entries) {
          const v = names.has(entry.key) ? valueOf(entry.value, params) : undefined;
          if (v) setOwn(attributes, entry.key, v);
        }
      } else if (value.kind === "param") {
        const item = (params[value.index] as { M?: unknown } | undefined)?.M;
        if (isObject(item))
          for (const n of names) if (Object.hasOwn(item, n)) setOwn(attributes, n, item[n]);
      }
      break;
    }
    case "update":
      pinned(statement.where, params, names, attributes);
      for (const action of statement.actions) {
        const name = action.path.steps[0];
        if (typeof name !== "string" || !table.tenantAttributes.includes(name)) continue;
        const v =
          action.kind === "set" && action.path.steps.length === 1
            ? valueOf(action.value, params)
            : undefined;
        const pinnedValue = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
        // Precondition: a statement may set a choosing attribute only to the value its WHERE pins; any change would strand the item's stored values.
        if (!v || pinnedValue === undefined || JSON.stringify(v) !== JSON.stringify(pinnedValue))
          throw new EncryptionError(
            "tenant.attributeChanged",
            `The statement changes "${name}", which chooses the KMS key or context of this table's encrypted fields; the item's stored values would become unreadable. Re-write the whole item instead. Nothing was sent.`,
            { table: table.name },
          );
      }
      break;
    case "delete":
    case "select":
      pinned(statement.where, params, names, attributes);
      if (statement.kind === "select" && statement.projection !== "*") {
        const projection = statement.projection;
        const returnsEncrypted = projection.some(
          (p) => relate(p.steps, table.fields).kind !== "none",
        );
        const selected = new Set(projection.map((p) => p.steps[0]));
        const missing = table.tenantAttributes.filter(
          (a) => !selected.has(a) && !Object.hasOwn(attributes, a),
        );
        if (returnsEncrypted && missing.length > 0)
          throw new EncryptionError(
            "tenant.attributeMissing",
            `The SELECT returns encrypted fields whose KMS key or context the attributes ${missing.join(", ")} choose; add them to the SELECT list, or pin them in WHERE. Nothing was sent.`,
            { table: table.name },
          );
      }
      break;
  }
  for (let i = first; i < targets.length; i++) targets[i]!.attributes = attributes as WireItem;
  return attributes as WireItem;
}
