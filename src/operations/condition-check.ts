import type { ResolvedTable } from "../config/resolved-config";
import { isObject } from "../format/wire";
import type { ConditionNode, OperandNode } from "../expressions/ast";
import { resolvePath } from "../expressions/field-relation";
import { parseConditionExpression } from "../expressions/parser";
import { comparedPath, legacyCondition, presencePath, sizedPath } from "../access/field-access";

/**
 * Checks a condition, filter or key condition on a table with encrypted
 * fields; field-access.ts decides what each path may do. Allowed on encrypted
 * paths: `attribute_exists`, `attribute_not_exists` and `attribute_type`
 * (which sees the stored type, S), and `size` of a map or list that holds
 * encrypted fields. Comparisons, `BETWEEN`, `IN`, `begins_with`, `contains`
 * and `size` of an encrypted value are refused with
 * `expression.unsupportedOnEncrypted`.
 */
export function checkConditionExpression(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  prop: string,
): void {
  const expression = scope[prop];
  if (typeof expression !== "string") return;
  const names = scope.ExpressionAttributeNames;

  const operand = (node: OperandNode): void => {
    if (node.kind === "path") comparedPath(table, resolvePath(node, names), prop);
    else if (node.kind === "call") {
      if (node.name === "size" && node.args[0]?.kind === "path")
        return sizedPath(table, resolvePath(node.args[0], names), prop);
      node.args.forEach(operand);
    }
  };

  const visit = (node: ConditionNode): void => {
    switch (node.kind) {
      case "and":
      case "or":
        visit(node.left);
        visit(node.right);
        return;
      case "not":
        return visit(node.operand);
      case "compare":
        operand(node.left);
        operand(node.right);
        return;
      case "between":
        [node.subject, node.low, node.high].forEach(operand);
        return;
      case "in":
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
  visit(parseConditionExpression(expression, prop));
}

const PRESENCE_OPERATORS = new Set(["NULL", "NOT_NULL"]);

/**
 * Legacy `Expected`, `QueryFilter`, `ScanFilter` and `KeyConditions`: on an
 * encrypted attribute only existence checks (`Exists: false`, `NULL`,
 * `NOT_NULL`) are allowed.
 */
export function checkLegacyConditions(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  prop: string,
): void {
  const conditions = scope[prop];
  if (!isObject(conditions)) return;
  for (const [name, condition] of Object.entries(conditions)) {
    if (!isObject(condition)) continue;
    const operator = condition.ComparisonOperator;
    const existence =
      operator === undefined
        ? condition.Value === undefined
        : typeof operator === "string" && PRESENCE_OPERATORS.has(operator);
    legacyCondition(table, name, prop, existence);
  }
}
