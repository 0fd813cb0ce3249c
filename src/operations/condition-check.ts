import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { isObject } from "../format/wire";
import type { ConditionNode, OperandNode } from "../expressions/ast";
import {
  encryptedFieldOf,
  type FieldRelation,
  pathText,
  relate,
  resolvePath,
} from "../expressions/field-relation";
import { parseConditionExpression } from "../expressions/parser";

export const BLIND_INDEX_HINT =
  "Ciphertext is randomised, so comparisons on it cannot work. Blind indexes, which allow equality lookups on encrypted fields, are not yet available.";

const fieldOf = (relation: FieldRelation) => encryptedFieldOf(relation)?.path;

function refuse(table: ResolvedTable, what: string, field: string): EncryptionError {
  return new EncryptionError(
    "expression.unsupportedOnEncrypted",
    `${what} the encrypted field "${field}". ${BLIND_INDEX_HINT} Nothing was sent.`,
    { table: table.name, field },
  );
}

/**
 * Checks a condition, filter or key condition on a table with encrypted
 * fields. Allowed on encrypted paths: `attribute_exists`,
 * `attribute_not_exists` and `attribute_type` (which sees the stored type, S),
 * and `size` of a map or list that holds encrypted fields. Comparisons,
 * `BETWEEN`, `IN`, `begins_with`, `contains` and `size` of an encrypted value
 * are refused with `expression.unsupportedOnEncrypted`.
 */
export function checkConditionExpression(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  prop: string,
): void {
  const expression = scope[prop];
  if (typeof expression !== "string") return;
  const names = scope.ExpressionAttributeNames;
  const relationOf = (operand: OperandNode): FieldRelation =>
    operand.kind === "path" ? relate(resolvePath(operand, names), table.fields) : { kind: "none" };

  const operand = (node: OperandNode): void => {
    if (node.kind === "path") {
      const field = fieldOf(relationOf(node));
      if (field)
        throw refuse(
          table,
          `${prop} compares ${pathText(resolvePath(node, names))}, which is or holds`,
          field,
        );
    } else if (node.kind === "call") {
      if (node.name === "size" && node.args[0]?.kind === "path") {
        const relation = relationOf(node.args[0]);
        if (relation.kind === "exact" || relation.kind === "inside")
          throw refuse(table, `${prop} takes size() of`, relation.field.path);
        return;
      }
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
          const relation = first ? relationOf(first) : { kind: "none" as const };
          if (relation.kind === "inside")
            throw refuse(table, `${prop} uses ${name} inside`, relation.field.path);
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
    const field = fieldOf(relate([name], table.fields));
    if (!field || !isObject(condition)) continue;
    const operator = condition.ComparisonOperator;
    const existence =
      operator === undefined
        ? condition.Value === undefined
        : typeof operator === "string" && PRESENCE_OPERATORS.has(operator);
    if (!existence) throw refuse(table, `${prop} compares "${name}", which is or holds`, field);
  }
}
