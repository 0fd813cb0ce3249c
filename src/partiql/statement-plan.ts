import type { PathSegment } from "../config/field-path";
import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import { pathText } from "../expressions/field-relation";
import { type BindingKey, shapeMismatch, type ValueTarget } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { itemKey } from "../format/binding";
import type { WireItem, WireValue } from "../format/wire";
import {
  appendsElements,
  comparedPath,
  presencePath,
  projectedPath,
  readPath,
  refuse,
  refuseOperation,
  refuseSetValue,
  refuseStatementValue,
  removedPath,
  setPath,
  sizedPath,
  statementWrites,
} from "../access/field-access";
import { mentionedTable } from "../operations/table-name";
import type { Condition, Expr, PathExpr, Statement, ValueExpr } from "./ast";
import { type ParsedStatement, parseStatement } from "./parser";

/** What the response side needs for one statement: its table and, when the statement pins it, the item key. */
export interface StatementScope {
  tableName: string;
  table: ResolvedTable | undefined;
  key: WireItem | undefined;
}

function tableOf(statement: Statement): string {
  switch (statement.kind) {
    case "select":
      return statement.from.table;
    case "insert":
      return statement.into.table;
    case "update":
      return statement.table.table;
    case "delete":
      return statement.from.table;
  }
}

/** The AttributeValue a literal or parameter stands for, for key attributes. */
function keyValue(expr: Expr, params: unknown[]): WireValue | undefined {
  if (expr.kind === "param") return params[expr.index] as WireValue | undefined;
  if (expr.kind === "literal" && expr.type === "string") return { S: expr.text };
  if (expr.kind === "literal" && expr.type === "number") return { N: expr.text };
  return undefined;
}

/**
 * The AttributeValue type a literal, tuple, list or bag stands for, without
 * its content (the shape rule looks only at the type, and error messages must
 * not hold the value). MISSING stands for no value at all.
 */
function shapeOf(expr: Exclude<ValueExpr, { kind: "param" }>): WireValue | undefined {
  switch (expr.kind) {
    case "tuple":
      return { M: {} };
    case "list":
      return { L: [] };
    case "bag":
      return { SS: [] };
    case "literal":
      switch (expr.type) {
        case "string":
          return { S: "" };
        case "number":
          return { N: "0" };
        case "boolean":
          return { BOOL: false };
        case "null":
          return { NULL: true };
        case "missing":
          return undefined;
      }
  }
}

/** Key attributes pinned by `name = value` comparisons joined with AND at the top of a WHERE clause. */
function pinnedKey(
  table: ResolvedTable,
  where: Condition | undefined,
  params: unknown[],
): WireItem | undefined {
  const found: WireItem = {};
  const visit = (c: Condition | undefined): void => {
    if (!c) return;
    if (c.kind === "and") {
      visit(c.left);
      visit(c.right);
    } else if (c.kind === "compare" && c.operator === "=") {
      for (const [path, value] of [
        [c.left, c.right],
        [c.right, c.left],
      ] as const) {
        if (path.kind === "path" && path.steps.length === 1 && typeof path.steps[0] === "string") {
          const v = keyValue(value, params);
          if (v) found[path.steps[0]] = v;
        }
      }
    }
  };
  visit(where);
  const names =
    table.sortKey === undefined ? [table.partitionKey] : [table.partitionKey, table.sortKey];
  return names.every((n) => found[n] !== undefined)
    ? Object.fromEntries(names.map((n) => [n, found[n]!]))
    : undefined;
}

/** Every path `expr` reads, through calls, arithmetic, tuples, lists and bags. */
function readsEncrypted(table: ResolvedTable, expr: Expr, what: string): void {
  if (expr.kind === "path") readPath(table, expr.steps, what);
  else if (expr.kind === "call") expr.args.forEach((a) => readsEncrypted(table, a, what));
  else if (expr.kind === "binary") {
    readsEncrypted(table, expr.left, what);
    readsEncrypted(table, expr.right, what);
  } else if (expr.kind === "tuple")
    expr.entries.forEach((e) => readsEncrypted(table, e.value, what));
  else if (expr.kind === "list" || expr.kind === "bag")
    expr.items.forEach((i) => readsEncrypted(table, i, what));
}

const WHERE = "The WHERE clause";

function checkWhere(table: ResolvedTable, where: Condition | undefined): void {
  const operand = (expr: Expr): void => {
    if (expr.kind === "path") comparedPath(table, expr.steps, WHERE);
    else if (expr.kind === "call" && expr.name === "size" && expr.args[0]?.kind === "path")
      sizedPath(table, expr.args[0].steps, WHERE);
    else if (expr.kind === "call") expr.args.forEach(operand);
    else if (expr.kind === "binary") [expr.left, expr.right].forEach(operand);
  };
  const visit = (c: Condition | undefined): void => {
    if (!c) return;
    switch (c.kind) {
      case "and":
      case "or":
        visit(c.left);
        visit(c.right);
        return;
      case "not":
        return visit(c.operand);
      case "compare":
        return [c.left, c.right].forEach(operand);
      case "between":
        return [c.subject, c.low, c.high].forEach(operand);
      case "in":
        return [c.subject, ...c.list].forEach(operand);
      case "is":
        return; // IS [NOT] MISSING / NULL only asks whether a value is there
      case "function": {
        const [first, ...rest] = c.call.args;
        if (c.call.name === "attribute_type" && first?.kind === "path") {
          presencePath(table, first.steps, WHERE, "attribute_type");
          return rest.forEach(operand);
        }
        return c.call.args.forEach(operand);
      }
    }
  };
  visit(where);
}

/** Plans one PartiQL statement on a table with encrypted fields, adding a target for each parameter to encrypt. */
class StatementPlanner {
  private key: BindingKey | undefined;

  constructor(
    private readonly table: ResolvedTable,
    private readonly params: unknown[],
    private readonly keyItem: WireItem | undefined,
    private readonly targets: ValueTarget[],
  ) {}

  private bindingKey(): BindingKey {
    return (this.key ??= itemKey(this.table, this.keyItem ?? {}, undefined, {
      table: this.table.name,
    }));
  }

  /** Encrypts the values of `field` found in `expr`, which stands at `segments[depth]`. */
  encryptIn(
    expr: Expr,
    field: ValueTarget["field"],
    segments: readonly PathSegment[],
    depth: number,
  ): void {
    const table = this.table;
    if (expr.kind === "param") {
      // planStatement has checked that every placeholder has its parameter.
      const remaining = segments.slice(depth);
      if (remaining.length === 0) {
        this.targets.push({
          table,
          field,
          slot: {
            holder: this.params,
            prop: expr.index,
            value: this.params[expr.index] as WireValue,
          },
          key: this.bindingKey(),
        });
      } else {
        forEachSlot(
          { v: this.params[expr.index] } as WireItem,
          [{ kind: "attr", name: "v" }, ...remaining],
          (slot) => this.targets.push({ table, field, slot, key: this.bindingKey() }),
          shapeMismatch(table, field, depth - 1),
        );
      }
      return;
    }
    if (depth === segments.length)
      throw refuseStatementValue(
        table,
        field.path,
        expr.kind === "literal" ? "literal" : "expression",
      );
    const segment = segments[depth]!;
    if (segment.kind === "attr" && expr.kind === "tuple") {
      for (const entry of expr.entries)
        if (entry.key === segment.name) this.encryptIn(entry.value, field, segments, depth + 1);
    } else if (segment.kind === "each" && (expr.kind === "list" || expr.kind === "bag")) {
      for (const item of expr.items) this.encryptIn(item, field, segments, depth + 1);
    } else if (expr.kind === "path" || expr.kind === "call" || expr.kind === "binary") {
      throw refuseStatementValue(table, field.path, "computed");
    } else {
      // A literal where the field's path needs a map or list ('card': '…' with card.number encrypted)
      // may be the secret itself: the rule for items and parameters decides, so only NULL and MISSING pass.
      forEachSlot(
        { v: shapeOf(expr) } as WireItem,
        [{ kind: "attr", name: "v" }, ...segments.slice(depth)],
        () => undefined,
        shapeMismatch(table, field, depth - 1),
      );
    }
  }

  insert(value: Expr): void {
    if (value.kind !== "tuple" && value.kind !== "param")
      throw refuse(this.table, "INSERT needs a tuple {...} or a ? parameter.");
    const param =
      value.kind === "param" ? (this.params[value.index] as { M?: unknown }) : undefined;
    statementWrites(
      this.table,
      value.kind === "tuple"
        ? value.entries.map((e) => e.key)
        : Object.keys(typeof param?.M === "object" && param.M !== null ? param.M : {}),
    );
    for (const field of this.table.fields) this.encryptIn(value, field, field.segments, 0);
  }

  update(actions: Extract<Statement, { kind: "update" }>["actions"]): void {
    const table = this.table;
    for (const action of actions) {
      const path = action.path.steps;
      if (typeof path[0] === "string") statementWrites(table, [path[0]]);
      if (action.kind === "remove") {
        removedPath(table, path, "REMOVE");
        continue;
      }
      const below = setPath(table, path, "SET");
      if (!below) {
        readsEncrypted(table, action.value, `SET ${pathText(path)}`);
        continue;
      }
      const value = action.value;
      const isTarget = (e: Expr) =>
        e.kind === "path" &&
        e.steps.length === path.length &&
        e.steps.every((s, i) => s === path[i]);
      if (value.kind === "call" && value.name === "list_append" && appendsElements(below)) {
        for (const arg of value.args) {
          if (isTarget(arg)) continue;
          for (const b of below) this.encryptIn(arg, b.field, b.field.segments, path.length);
        }
        continue;
      }
      if (value.kind === "path" || value.kind === "call" || value.kind === "binary")
        throw refuseSetValue(table, path, below, "? parameters");
      for (const b of below) this.encryptIn(value, b.field, b.field.segments, path.length);
    }
  }
}

/**
 * Plans a PartiQL statement: encrypts the parameters written to encrypted
 * fields (INSERT, UPDATE), refuses literals and computations on them and
 * comparisons in WHERE, and returns what decrypting the response needs.
 * A statement that names a configured table but cannot be parsed is refused
 * with `operation.unsupported`.
 */
export function planStatement(
  config: ResolvedConfig,
  text: unknown,
  parameters: unknown,
  targets: ValueTarget[],
): StatementScope | undefined {
  if (typeof text !== "string") return undefined;
  const mentioned = mentionedTable(config.tables.keys(), text);
  if (mentioned === undefined) return undefined;
  let parsed: ParsedStatement;
  try {
    parsed = parseStatement(text);
  } catch (error) {
    if (error instanceof EncryptionError)
      throw new EncryptionError(error.code, error.message, { table: mentioned });
    throw error;
  }
  const { statement } = parsed;
  const tableName = tableOf(statement);
  const params = Array.isArray(parameters) ? (parameters as unknown[]) : [];
  // Precondition: one parameter per placeholder. DynamoDB ignores extra parameters, so one the plugin
  // did not place would still go out in plaintext; a missing one would leave a placeholder unplanned.
  if (parsed.placeholders !== params.length) {
    throw new EncryptionError(
      "operation.unsupported",
      `The PartiQL statement has ${parsed.placeholders} ? placeholders but ${params.length} Parameters; they must match one to one. Nothing was sent.`,
      { table: tableName },
    );
  }
  const table = config.tables.get(tableName);
  if (!table) return { tableName, table: undefined, key: undefined };

  switch (statement.kind) {
    case "insert": {
      const tuple = statement.value;
      const keyItem: WireItem = {};
      if (tuple.kind === "tuple") {
        for (const entry of tuple.entries) {
          const v = keyValue(entry.value, params);
          if (v && (entry.key === table.partitionKey || entry.key === table.sortKey))
            keyItem[entry.key] = v;
        }
      } else if (tuple.kind === "param")
        Object.assign(
          keyItem,
          params[tuple.index] ? ((params[tuple.index] as { M?: WireItem }).M ?? {}) : {},
        );
      new StatementPlanner(table, params, keyItem, targets).insert(tuple);
      return { tableName, table, key: undefined };
    }
    case "update": {
      checkWhere(table, statement.where);
      const key = pinnedKey(table, statement.where, params);
      new StatementPlanner(table, params, key, targets).update(statement.actions);
      return { tableName, table, key };
    }
    case "delete": {
      checkWhere(table, statement.where);
      return { tableName, table, key: pinnedKey(table, statement.where, params) };
    }
    case "select": {
      checkWhere(table, statement.where);
      const key = pinnedKey(table, statement.where, params);
      if (statement.projection !== "*") {
        let returnsEncrypted = false;
        for (const p of statement.projection)
          if (projectedPath(table, p.steps, "The SELECT list")) returnsEncrypted = true;
        const projected = new Set(statement.projection.map((p: PathExpr) => p.steps[0]));
        const keyNames =
          table.sortKey === undefined ? [table.partitionKey] : [table.partitionKey, table.sortKey];
        if (returnsEncrypted && !key && !keyNames.every((k) => projected.has(k))) {
          throw refuseOperation(
            table,
            `The SELECT returns encrypted fields without the key attributes they are bound to; add ${keyNames.join(" and ")} to the SELECT list, or pin them in WHERE.`,
          );
        }
      }
      return { tableName, table, key };
    }
  }
}
