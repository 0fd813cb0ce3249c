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
  equalityPath,
  presencePath,
  projectedPath,
  readPath,
  refuse,
  refuseOperation,
  refusePartialMatchProjection,
  refuseRepeatedKey,
  refuseSetValue,
  refuseStatementValue,
  removedPath,
  setPath,
  sizedPath,
  statementWrites,
} from "../access/field-access";
import { mentionedTable, refuseLookalikeTable, tableNameOf } from "../operations/table-name";
import { type BeaconField, hasBeacon } from "../beacons/beacon-keyring";
import type { BeaconMatch } from "../beacons/beacon-match";
import { type BeaconWrite, planItemBeacons, type WrittenBack } from "../beacons/beacon-writes";
import { StatementBeacons } from "../beacons/statement-beacons";
import { checkStatementComposites } from "../beacons/composite-conditions";
import type { Condition, Expr, PathExpr, Statement, ValueExpr } from "./ast";
import { type ParsedStatement, parseStatement, spanOf } from "./parser";

/** What the response side needs for one statement: its table and, when the statement pins it, the item key. */
export interface StatementScope {
  tableName: string;
  table: ResolvedTable | undefined;
  key: WireItem | undefined;
  /** Equalities rewritten to truncated beacons: returned items must match them once decrypted. */
  beaconMatches?: BeaconMatch[];
  /** Attributes the plugin added to the SELECT list; removed from returned items. */
  added?: string[];
  /** The beacon rewrite to apply once beacons are computed and parameters encrypted, with where an UPDATE's last action ends. */
  beacons?: { plan: StatementBeacons; actionsEnd: number | undefined };
}

/** What planning a statement needs besides the config: where beacons go, and how to tell a WriteOnly client's written-back values. */
export interface StatementContext {
  beaconWrites: BeaconWrite[];
  writtenBack: (table: ResolvedTable, keyed: WireItem) => WrittenBack;
  /**
   * The statement is one of a BatchExecuteStatement or ExecuteTransaction,
   * whose SELECT returns one item per statement: its WHERE equalities on
   * beacons follow the ConditionExpression rule (exact 256-bit beacons only).
   */
  batched: boolean;
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

/**
 * Checks a WHERE clause. `field = ?` and `field IN [?, …]` on a beaconed
 * field are rewritten to its beacon through `beacons` where field-access.ts
 * allows it for `kind`: a SELECT's WHERE is a filter (and key condition,
 * which DynamoDB chooses from the FROM index), whose false positives are
 * removed after decrypting; the WHERE of an UPDATE or DELETE, and of a batched
 * SELECT, is a condition. Every other use of an encrypted path is refused.
 */
function checkWhere(
  table: ResolvedTable,
  where: Condition | undefined,
  params: unknown[] = [],
  beacons?: StatementBeacons,
  kind: "filter" | "condition" = "condition",
  select = false,
): void {
  const equality = (subject: Expr, others: Expr[], conjunct: boolean): boolean => {
    if (subject.kind !== "path") return false;
    const againstValues = others.every((o) => o.kind === "param");
    const field = equalityPath(table, subject.steps, {
      clause: WHERE,
      kind,
      againstValues: againstValues && beacons !== undefined,
      conjunct,
      indexName: undefined,
      countOnly: false,
    });
    if (!field) return false;
    // A SELECT's items are checked after decrypting wherever dropping one is sound, at every length (see
    // condition-check.ts): a batched SELECT's too, though only an exact beacon may be searched there.
    const verify = conjunct && select && field.mode !== "WriteOnly";
    beacons!.search(
      field,
      spanOf(subject)!,
      others.map((o) => {
        const index = (o as { index: number }).index;
        return { index, span: spanOf(o)!, value: params[index] };
      }),
      verify,
    );
    return true;
  };
  const operand = (expr: Expr): void => {
    if (expr.kind === "path") comparedPath(table, expr.steps, WHERE);
    else if (expr.kind === "call" && expr.name === "size" && expr.args[0]?.kind === "path")
      sizedPath(table, expr.args[0].steps, WHERE);
    else if (expr.kind === "call") expr.args.forEach(operand);
    else if (expr.kind === "binary") [expr.left, expr.right].forEach(operand);
  };
  const visit = (c: Condition | undefined, conjunct: boolean): void => {
    if (!c) return;
    switch (c.kind) {
      case "and":
        visit(c.left, conjunct);
        visit(c.right, conjunct);
        return;
      case "or":
        visit(c.left, false);
        visit(c.right, false);
        return;
      case "not":
        return visit(c.operand, false);
      case "compare":
        if (c.operator === "=") {
          if (equality(c.left, [c.right], conjunct)) return;
          if (equality(c.right, [c.left], conjunct)) return;
        }
        return [c.left, c.right].forEach(operand);
      case "between":
        return [c.subject, c.low, c.high].forEach(operand);
      case "in":
        if (equality(c.subject, c.list, conjunct)) return;
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
  visit(where, true);
}

/** Plans one PartiQL statement on a table with encrypted fields, adding a target for each parameter to encrypt. */
class StatementPlanner {
  private key: BindingKey | undefined;

  constructor(
    private readonly table: ResolvedTable,
    private readonly params: unknown[],
    private readonly keyItem: WireItem | undefined,
    private readonly targets: ValueTarget[],
    private readonly beacons?: StatementBeacons,
  ) {}

  /**
   * The value `expr` (standing at `field.segments[depth]`) writes to a
   * beaconed field: from a parameter, or through tuples; undefined when it
   * writes none (absent, NULL or MISSING on the way). Call after
   * {@link encryptIn}, which refuses literals and computed values.
   */
  private valueAt(expr: Expr, field: BeaconField, depth: number): unknown {
    const segments = field.segments;
    if (expr.kind === "param") {
      let found: unknown;
      forEachSlot(
        { v: this.params[expr.index] } as WireItem,
        [{ kind: "attr", name: "v" }, ...segments.slice(depth)],
        (slot) => (found = slot.value),
      );
      return found;
    }
    if (expr.kind === "literal" && (expr.type === "null" || expr.type === "missing"))
      return depth === segments.length && expr.type === "null" ? { NULL: true } : undefined;
    const segment = segments[depth];
    if (expr.kind === "tuple" && segment?.kind === "attr") {
      const entries = expr.entries.filter((e) => e.key === segment.name);
      if (entries.length > 1) throw refuseRepeatedKey(this.table, segment.name, field.path);
      return entries[0] ? this.valueAt(entries[0].value, field, depth + 1) : undefined;
    }
    // Precondition: encryptIn has refused every other form that reaches the field.
    throw refuseStatementValue(this.table, field.path, "computed");
  }

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
    const beacons = this.beacons;
    if (!beacons) return;
    if (value.kind === "tuple") {
      const span = spanOf(value)!;
      beacons.insertTuple(
        span.end - 1,
        value.entries.length === 0,
        this.table.fields.filter(hasBeacon).map((field) => ({
          field,
          value: this.valueAt(value, field, 0),
        })),
      );
    }
  }

  update(actions: Extract<Statement, { kind: "update" }>["actions"]): void {
    const table = this.table;
    for (const action of actions) {
      const path = action.path.steps;
      if (typeof path[0] === "string") statementWrites(table, [path[0]]);
      if (action.kind === "remove") {
        for (const { field } of removedPath(table, path, "REMOVE"))
          if (hasBeacon(field)) this.beacons?.remove(field);
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
      for (const { field } of below)
        if (hasBeacon(field)) this.beacons?.set(field, this.valueAt(value, field, path.length));
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
  context: StatementContext,
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
  // A table ARN names the table as its name does (as TableName does for the other operations).
  const tableName = tableNameOf(tableOf(statement))!;
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
  if (!table) {
    refuseLookalikeTable(config.tables.keys(), tableOf(statement));
    return { tableName, table: undefined, key: undefined };
  }
  checkStatementComposites(table, text);

  const beacons =
    table.beaconAttributes.size > 0
      ? (keyed: WireItem | undefined) =>
          new StatementBeacons(table, context.beaconWrites, context.writtenBack(table, keyed ?? {}))
      : undefined;
  const withBeacons = (
    scope: StatementScope,
    plan: StatementBeacons | undefined,
    actionsEnd?: number,
  ): StatementScope => {
    if (plan?.changed) scope.beacons = { plan, actionsEnd };
    if (plan && plan.matches.length > 0) scope.beaconMatches = plan.matches;
    return scope;
  };

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
      const plan = beacons?.(keyItem);
      new StatementPlanner(table, params, keyItem, targets, plan).insert(tuple);
      const item = tuple.kind === "param" ? (params[tuple.index] as { M?: unknown }) : undefined;
      // A whole-item parameter gets its beacons as a Put's item does.
      if (item && typeof item.M === "object" && item.M !== null)
        planItemBeacons(
          table,
          item.M as WireItem,
          context.beaconWrites,
          context.writtenBack(table, keyItem),
        );
      return withBeacons({ tableName, table, key: undefined }, plan);
    }
    case "update": {
      const key = pinnedKey(table, statement.where, params);
      const plan = beacons?.(key);
      checkWhere(table, statement.where, params, plan, "condition");
      new StatementPlanner(table, params, key, targets, plan).update(statement.actions);
      const last = statement.actions[statement.actions.length - 1]!;
      return withBeacons({ tableName, table, key }, plan, spanOf(last)?.end);
    }
    case "delete": {
      const key = pinnedKey(table, statement.where, params);
      const plan = beacons?.(key);
      checkWhere(table, statement.where, params, plan, "condition");
      return withBeacons({ tableName, table, key }, plan);
    }
    case "select": {
      const key = pinnedKey(table, statement.where, params);
      const plan = beacons?.(key);
      checkWhere(
        table,
        statement.where,
        params,
        plan,
        context.batched ? "condition" : "filter",
        true,
      );
      const scope = withBeacons({ tableName, table, key }, plan);
      if (statement.projection !== "*") {
        let returnsEncrypted = false;
        for (const p of statement.projection)
          if (projectedPath(table, p.steps, "The SELECT list")) returnsEncrypted = true;
        const added = projectMatchedRoots(table, statement.projection, plan);
        if (added.length > 0) {
          returnsEncrypted = true;
          scope.added = added;
          scope.beacons = { plan: plan!, actionsEnd: undefined };
        }
        const projected = new Set([
          ...statement.projection.map((p: PathExpr) => p.steps[0]),
          ...added,
        ]);
        const keyNames =
          table.sortKey === undefined ? [table.partitionKey] : [table.partitionKey, table.sortKey];
        if (returnsEncrypted && !key && !keyNames.every((k) => projected.has(k))) {
          throw refuseOperation(
            table,
            `The SELECT returns encrypted fields without the key attributes they are bound to; add ${keyNames.join(" and ")} to the SELECT list, or pin them in WHERE.`,
          );
        }
      }
      return scope;
    }
  }
}

/**
 * Adds to a SELECT list the top-level attribute of each field the WHERE
 * clause looks up by a beacon, so that false positives can be told apart
 * after decrypting, with the key and tenant attributes that decrypting it
 * needs; returns the attributes added, which are removed from the returned
 * items again. A list that names part of the field's map but not the field
 * is refused.
 */
function projectMatchedRoots(
  table: ResolvedTable,
  projection: PathExpr[],
  plan: StatementBeacons | undefined,
): string[] {
  if (!plan || plan.matches.length === 0) return [];
  const added: string[] = [];
  for (const { field } of plan.matches) {
    const root = (field.segments[0] as { name: string }).name;
    const covers = (p: PathExpr) =>
      p.steps.every((step, i) => {
        const s = field.segments[i];
        return s?.kind === "attr" && s.name === step;
      });
    if (projection.some(covers) || added.includes(root)) continue;
    if (projection.some((p) => p.steps[0] === root))
      throw refusePartialMatchProjection(table, root, field.path);
    added.push(root);
  }
  if (added.length === 0) return [];
  // The added fields are bound to the item's key and may have their KMS key chosen by its attributes.
  const selected = new Set(projection.map((p) => p.steps[0]));
  for (const name of [
    table.partitionKey,
    ...(table.sortKey === undefined ? [] : [table.sortKey]),
    ...table.tenantAttributes,
  ])
    if (!selected.has(name) && !added.includes(name)) added.push(name);
  plan.project(spanOf(projection[projection.length - 1]!)!.end, added);
  return added;
}
