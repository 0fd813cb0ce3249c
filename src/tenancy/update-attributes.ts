import type { ResolvedTable } from "../config/resolved-config";
import { parseUpdateExpression } from "../expressions/parser";
import { resolvePath } from "../expressions/field-relation";
import { isObject, type WireItem } from "../format/wire";
import { setOwn } from "../util/own-property";

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * What an update (UpdateItem, a transaction's Update) says about the
 * attributes that choose its table's keys and contexts: its `Key`, then each
 * such attribute it sets to a plain value (`SET tenantId = :t`, or an
 * `AttributeUpdates` `PUT`). An attribute the update changes any other way
 * (`REMOVE`, `if_not_exists`, `ADD`) is unknown, so values it encrypts for
 * fields chosen by it are refused with `tenant.attributeMissing`, nothing
 * sent, rather than bound to a tenant the item may not have.
 */
export function updateAttributes(table: ResolvedTable, scope: Record<string, unknown>): WireItem {
  const attributes: Record<string, unknown> = {};
  if (isObject(scope.Key))
    for (const [name, value] of Object.entries(scope.Key)) setOwn(attributes, name, value);
  const chosen = new Set(table.tenantAttributes);
  const values = isObject(scope.ExpressionAttributeValues) ? scope.ExpressionAttributeValues : {};
  if (typeof scope.UpdateExpression === "string") {
    for (const action of parseUpdateExpression(scope.UpdateExpression).actions) {
      const path = resolvePath(action.path, scope.ExpressionAttributeNames);
      const name = path[0];
      if (typeof name !== "string" || !chosen.has(name)) continue;
      if (
        action.kind === "SET" &&
        path.length === 1 &&
        action.value.kind === "value" &&
        own(values, action.value.name)
      )
        setOwn(attributes, name, values[action.value.name]);
      else delete attributes[name];
    }
  }
  if (isObject(scope.AttributeUpdates)) {
    for (const [name, update] of Object.entries(scope.AttributeUpdates)) {
      if (!chosen.has(name)) continue;
      if (isObject(update) && (update.Action ?? "PUT") === "PUT" && update.Value !== undefined)
        setOwn(attributes, name, update.Value);
      else delete attributes[name];
    }
  }
  return attributes as WireItem;
}
