import type { ResolvedTable } from "../config/resolved-config";
import type { EncryptionError } from "../errors/encryption-error";
import { isObject } from "../format/wire";
import type { ConditionNode, OperandNode, ValueNode } from "../expressions/ast";
import { resolvePath } from "../expressions/field-relation";
import { parseConditionExpression } from "../expressions/parser";
import { tokenize } from "../expressions/lexer";
import {
  comparedPath,
  equalityPath,
  legacyCondition,
  presencePath,
  refuse,
  sizedPath,
} from "../access/field-access";
import type { BeaconRewriter } from "../beacons/beacon-rewriter";
import { checkLegacyComposites, CompositeConditions } from "../beacons/composite-conditions";

const KINDS: Record<string, "key" | "filter" | "condition"> = {
  KeyConditionExpression: "key",
  FilterExpression: "filter",
  ConditionExpression: "condition",
};

/**
 * Checks a condition, filter or key condition on a table with encrypted
 * fields; field-access.ts decides what each path may do. Allowed on encrypted
 * paths: `attribute_exists`, `attribute_not_exists` and `attribute_type`
 * (which sees the stored type, S), and `size` of a map or list that holds
 * encrypted fields. `field = :v` and `field IN (:a, …)` on a field with a
 * beacon are rewritten to the beacon (through `beacons`) where
 * field-access.ts allows it. Other comparisons, `BETWEEN`, `begins_with`,
 * `contains` and `size` of an encrypted value are refused.
 */
export function checkConditionExpression(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  prop: string,
  beacons?: BeaconRewriter,
): void {
  const expression = scope[prop];
  if (typeof expression !== "string") return;
  const names = scope.ExpressionAttributeNames;
  const use = (againstValues: boolean, conjunct: boolean) => ({
    clause: prop,
    kind: KINDS[prop] ?? "condition",
    againstValues,
    conjunct,
    indexName: typeof scope.IndexName === "string" ? scope.IndexName : undefined,
    countOnly: scope.Select === "COUNT",
  });
  /** `path = :v` or `path IN (:a, …)`: rewritten to the beacon when the field has one, else checked as any comparison. */
  const equality = (subject: OperandNode, others: OperandNode[], conjunct: boolean): boolean => {
    if (subject.kind !== "path") return false;
    const againstValues = others.every((o) => o.kind === "value");
    const field = equalityPath(
      table,
      resolvePath(subject, names),
      use(againstValues && beacons !== undefined, conjunct),
    );
    if (!field) return false;
    // Items are checked after decrypting wherever dropping one is sound, at every length: a stale or
    // forged beacon then never returns an item whose value differs.
    const verify =
      conjunct &&
      KINDS[prop] !== "condition" &&
      field.mode !== "WriteOnly" &&
      scope.Select !== "COUNT";
    beacons!.rewrite(prop, field, subject, others as ValueNode[], verify);
    return true;
  };

  const operand = (node: OperandNode): void => {
    if (node.kind === "path") comparedPath(table, resolvePath(node, names), prop);
    else if (node.kind === "call") {
      if (node.name === "size" && node.args[0]?.kind === "path")
        return sizedPath(table, resolvePath(node.args[0], names), prop);
      node.args.forEach(operand);
    }
  };

  const composites =
    beacons && table.compositeAttributes.size > 0
      ? new CompositeConditions(
          table,
          scope,
          { prop, kind: KINDS[prop] ?? "condition", countOnly: scope.Select === "COUNT" },
          beacons,
        )
      : undefined;

  const visit = (node: ConditionNode, conjunct: boolean): void => {
    if (composites?.visit(node, conjunct)) return;
    switch (node.kind) {
      case "and":
        visit(node.left, conjunct);
        visit(node.right, conjunct);
        return;
      case "or":
        visit(node.left, false);
        visit(node.right, false);
        return;
      case "not":
        return visit(node.operand, false);
      case "compare":
        if (node.operator === "=") {
          if (equality(node.left, [node.right], conjunct)) return;
          if (equality(node.right, [node.left], conjunct)) return;
        }
        operand(node.left);
        operand(node.right);
        return;
      case "between":
        [node.subject, node.low, node.high].forEach(operand);
        return;
      case "in":
        if (equality(node.subject, node.list, conjunct)) return;
        [node.subject, ...node.list].forEach(operand);
        return;
      case "function": {
        const { name, args } = node.call;
        if (["attribute_exists", "attribute_not_exists", "attribute_type"].includes(name)) {
          const first = args[0];
          if (first?.kind === "path") presencePath(table, resolvePath(first, names), prop, name);
          args.slice(1).forEach(operand);
          return;
        }
        args.forEach(operand);
        return;
      }
    }
  };
  visit(parseConditionExpression(expression, prop), true);
  beacons?.finish(prop);
}

const PRESENCE_OPERATORS = new Set(["NULL", "NOT_NULL"]);

const isEmptyList = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);

/**
 * Legacy `Expected`, `QueryFilter`, `ScanFilter` and `KeyConditions`: on an
 * encrypted attribute only existence checks (`Exists: false`, `NULL`,
 * `NOT_NULL`) that carry no `Value` or `AttributeValueList` are allowed; on
 * every attribute, a condition carries exactly the values its operator takes.
 */
export function checkLegacyConditions(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  prop: string,
): void {
  const conditions = scope[prop];
  if (!isObject(conditions)) return;
  checkLegacyComposites(table, conditions, prop);
  for (const [name, condition] of Object.entries(conditions)) {
    if (!isObject(condition)) continue;
    const operator = condition.ComparisonOperator;
    // Precondition: an existence check carries no value; one that does (DynamoDB refuses it, but only after it crossed the wire) is checked as the comparison it would be.
    const carriesNoValue =
      condition.Value === undefined && isEmptyList(condition.AttributeValueList);
    const existence =
      carriesNoValue &&
      (operator === undefined ||
        (typeof operator === "string" && PRESENCE_OPERATORS.has(operator)));
    legacyCondition(table, name, prop, existence);
    // Precondition: on any attribute, a condition carries exactly the values its operator takes; an extra one is bound to nothing and would cross the wire as it is (DynamoDB refuses it only after).
    if (!valuesFitOperator(condition))
      throw refuse(
        table,
        `${prop} on "${name}" carries values its operator does not take (or an operator DynamoDB does not know); a value bound to nothing cannot be proven free of an encrypted field's plaintext.`,
      );
  }
}

/** How many values each legacy `ComparisonOperator` takes, at least and at most. */
const VALUE_COUNTS = new Map<string, readonly [number, number]>([
  ...["EQ", "NE", "LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH"].map(
    (op) => [op, [1, 1]] as const,
  ),
  ["IN", [1, Infinity]],
  ["BETWEEN", [2, 2]],
  ["NULL", [0, 0]],
  ["NOT_NULL", [0, 0]],
]);

/** Whether a legacy condition's `Value` and `AttributeValueList` are what its operator (or, without one, `Exists`) takes. */
function valuesFitOperator(condition: Record<string, unknown>): boolean {
  const list = condition.AttributeValueList;
  if (list !== undefined && !Array.isArray(list)) return false;
  const count = list?.length ?? 0;
  const operator = condition.ComparisonOperator;
  if (operator === undefined)
    return count === 0 && (condition.Exists !== false || condition.Value === undefined);
  if (condition.Value !== undefined || typeof operator !== "string") return false;
  const range = VALUE_COUNTS.get(operator);
  return range !== undefined && count >= range[0] && count <= range[1];
}

/**
 * The first `ExpressionAttributeValues` entry that none of the scope's
 * expressions (`props`) uses, to be refused: such a value is bound to no
 * attribute, so the plugin cannot tell whether it holds an encrypted field's
 * plaintext, and it would cross the wire as it is. DynamoDB refuses the
 * request anyway ("unused in expressions"), so no working request is lost.
 * Found before any beacon rewrite adds or removes values; refused after the
 * expressions' own checks, whose errors say more.
 */
export function unusedValue(
  scope: Record<string, unknown>,
  props: readonly string[],
): string | undefined {
  const values = scope.ExpressionAttributeValues;
  if (!isObject(values)) return undefined;
  const used = new Set<string>();
  for (const prop of props) {
    const expression = scope[prop];
    if (typeof expression !== "string") continue;
    for (const token of tokenize(expression, prop))
      if (token.kind === "value") used.add(token.text);
  }
  return Object.keys(values).find((name) => !used.has(name));
}

/** The refusal of an {@link unusedValue}. */
export function refuseUnusedValue(table: ResolvedTable, name: string): EncryptionError {
  return refuse(
    table,
    `${name} is defined in ExpressionAttributeValues but no expression uses it; a value bound to no attribute cannot be proven free of an encrypted field's plaintext (DynamoDB refuses unused values too).`,
  );
}
