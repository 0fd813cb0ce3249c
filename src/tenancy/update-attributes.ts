import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { parseUpdateExpression } from "../expressions/parser";
import { resolvePath } from "../expressions/field-relation";
import { isObject, type WireItem } from "../format/wire";
import { setOwn } from "../util/own-property";

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function changed(table: ResolvedTable, name: string, how: string): EncryptionError {
  return new EncryptionError(
    "tenant.attributeChanged",
    `The update changes "${name}" (${how}), which chooses the KMS key or context of this table's encrypted fields; the item's stored values would become unreadable. Set it to a plain value (SET ${name} = :value), or re-write the whole item with a Put. Nothing was sent.`,
    { table: table.name },
  );
}

function unique(taken: Record<string, unknown>, base: string): string {
  let candidate = base;
  for (let i = 1; own(taken, candidate); i++) candidate = `${base}_${i}`;
  return candidate;
}

/**
 * What an update (UpdateItem, a transaction's Update) says about the
 * attributes that choose its table's keys and contexts: its `Key`, then each
 * such attribute it sets to a plain value (`SET tenantId = :t`). Such an
 * update gets the added condition that the stored attribute is absent or
 * already that value, so DynamoDB refuses to move an item that holds values
 * under another tenant (`ConditionalCheckFailedException`). Any other change
 * of the attribute (`REMOVE`, `ADD`, `if_not_exists`, a nested path, legacy
 * `AttributeUpdates`) is refused with `tenant.attributeChanged`, nothing
 * sent: it would strand the item's stored values.
 */
export function updateAttributes(table: ResolvedTable, scope: Record<string, unknown>): WireItem {
  const attributes: Record<string, unknown> = {};
  if (isObject(scope.Key))
    for (const [name, value] of Object.entries(scope.Key)) setOwn(attributes, name, value);
  const chosen = new Set(table.tenantAttributes);
  const values = isObject(scope.ExpressionAttributeValues) ? scope.ExpressionAttributeValues : {};
  const set: [string, unknown][] = [];
  if (typeof scope.UpdateExpression === "string") {
    for (const action of parseUpdateExpression(scope.UpdateExpression).actions) {
      const path = resolvePath(action.path, scope.ExpressionAttributeNames);
      const name = path[0];
      if (typeof name !== "string" || !chosen.has(name)) continue;
      if (
        action.kind !== "SET" ||
        path.length !== 1 ||
        action.value.kind !== "value" ||
        !own(values, action.value.name)
      )
        throw changed(table, name, `${action.kind} other than SET ${name} = :value`);
      setOwn(attributes, name, values[action.value.name]);
      set.push([name, values[action.value.name]]);
    }
  }
  if (isObject(scope.AttributeUpdates))
    for (const name of Object.keys(scope.AttributeUpdates))
      if (chosen.has(name)) throw changed(table, name, "AttributeUpdates");
  if (set.length > 0) {
    // Precondition: the stored item, if any, already has this tenant; otherwise DynamoDB refuses the update.
    if (scope.Expected !== undefined)
      throw changed(
        table,
        set[0]![0],
        "with legacy Expected, which cannot carry the tenant condition",
      );
    // In place: the body is the plugin's own copy, and the values to encrypt are slots in this very object.
    if (!isObject(scope.ExpressionAttributeNames)) scope.ExpressionAttributeNames = {};
    if (!isObject(scope.ExpressionAttributeValues)) scope.ExpressionAttributeValues = {};
    const names = scope.ExpressionAttributeNames as Record<string, unknown>;
    const newValues = scope.ExpressionAttributeValues as Record<string, unknown>;
    const conditions = set.map(([name, value], i) => {
      const n = unique(names, `#dfe_tenant${i}`);
      const v = unique(newValues, `:dfe_tenant${i}`);
      setOwn(names, n, name);
      setOwn(newValues, v, structuredClone(value));
      return `(attribute_not_exists(${n}) OR ${n} = ${v})`;
    });
    const existing = typeof scope.ConditionExpression === "string" ? scope.ConditionExpression : "";
    scope.ConditionExpression = [existing && `(${existing})`, ...conditions]
      .filter(Boolean)
      .join(" AND ");
  }
  return attributes as WireItem;
}
