import type { ResolvedTable } from "../config/resolved-config";
import { type BindingKey, shapeMismatch, type ValueTarget } from "../engine/item-cipher";
import { forEachSlot } from "../engine/field-locator";
import { itemKey } from "../format/binding";
import { isObject, type WireItem } from "../format/wire";
import type { OperandNode, ValueNode } from "../expressions/ast";
import { type DocumentPath, pathText, resolvePath } from "../expressions/field-relation";
import { tokenize } from "../expressions/lexer";
import { parseUpdateExpression } from "../expressions/parser";
import type { BeaconWrite, WrittenBack } from "../beacons/beacon-writes";
import { type TextEdit, UpdateBeacons } from "../beacons/update-beacons";
import { beaconAttributeUpdates } from "../beacons/attribute-update-beacons";
import { CompositeUpdates, compositeAttributeUpdates } from "../beacons/composite-updates";
import {
  appendsElements,
  attributeUpdate,
  type Below,
  computedPath,
  readPath,
  refuseSetValue,
  refuseUndefinedValue,
  removedPath,
  setPath,
} from "../access/field-access";

function samePath(a: DocumentPath, b: DocumentPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Adds a target for every value at `below` inside `holder[prop]`. */
function targetsIn(
  table: ResolvedTable,
  holder: Record<string, unknown>,
  prop: string,
  below: Below,
  key: () => BindingKey,
  targets: ValueTarget[],
): void {
  for (const { field, remaining } of below) {
    forEachSlot(
      { [prop]: holder[prop] } as WireItem,
      [{ kind: "attr", name: prop }, ...remaining],
      (slot) => {
        // The wrapper shares the value object, so nested slots point into holder[prop]; a whole-value slot must point at holder itself.
        targets.push({
          table,
          field,
          slot: remaining.length === 0 ? { ...slot, holder } : slot,
          key: key(),
        });
      },
      shapeMismatch(table, field, field.segments.length - remaining.length - 1),
    );
  }
}

/** The item key the request's `Key` gives, computed on first use: updates bind values through it. */
function requestKey(table: ResolvedTable, scope: Record<string, unknown>): () => BindingKey {
  let key: BindingKey | undefined;
  const given = isObject(scope.Key) ? (scope.Key as WireItem) : undefined;
  return () => (key ??= itemKey(table, {}, given, { table: table.name }));
}

/** Every `:value` name an expression uses. */
function valueNames(expression: unknown): Set<string> {
  if (typeof expression !== "string") return new Set();
  return new Set(
    tokenize(expression, "the expression")
      .filter((t) => t.kind === "value")
      .map((t) => t.text),
  );
}

/**
 * Plans an UpdateExpression on a table with encrypted fields, on the plugin's
 * copy of the request:
 * - `SET field = :v` and `SET field = if_not_exists(field, :v)` encrypt `:v`
 *   (into a new placeholder, so other uses of `:v` keep the plaintext);
 * - `SET parent = :v` encrypts the fields inside `:v`;
 * - on a list of encrypted elements, or of elements that hold encrypted
 *   fields, `list_append` and `if_not_exists` nest in any order (the form
 *   ElectroDB's and dynamodb-toolbox's append and prepend generate):
 *   `SET list = list_append(if_not_exists(list, :empty), :new)`; every
 *   argument must be the target itself or a `:value`, and each `:value` is
 *   encrypted element by element;
 * - `REMOVE` of an encrypted path is allowed;
 * - arithmetic, `list_append`, `ADD` or `DELETE` on an encrypted path, a copy
 *   of an encrypted path to another one, and anything inside an encrypted
 *   value are refused with `expression.unsupportedOnEncrypted`.
 * The item key for binding comes from the request's `Key`.
 */
export function planUpdateExpression(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  targets: ValueTarget[],
  beaconWrites: BeaconWrite[],
  writtenBack: WrittenBack = () => false,
): void {
  const expression = scope.UpdateExpression;
  if (typeof expression !== "string") return;
  const ast = parseUpdateExpression(expression);
  const names = scope.ExpressionAttributeNames;
  // The plugin's own parsed copy of the request: work on its values object itself, so that a beacon a
  // condition rewrite placed in it (BeaconRewriter) is the one sent.
  const values: Record<string, unknown> = isObject(scope.ExpressionAttributeValues)
    ? scope.ExpressionAttributeValues
    : {};
  const rewrites: TextEdit[] = [];
  const replaced = new Set<string>();
  const keyOf = requestKey(table, scope);
  const namesCopy: Record<string, unknown> = isObject(names) ? names : {};
  const beacons = new UpdateBeacons(table, namesCopy, values, beaconWrites, writtenBack);
  const composites = new CompositeUpdates(table, values, beaconWrites);

  // Every path an operand reads, through function calls and arithmetic.
  const readsEncrypted = (operand: OperandNode, action: string): void => {
    if (operand.kind === "path") readPath(table, resolvePath(operand, names), action);
    else if (operand.kind === "call") operand.args.forEach((a) => readsEncrypted(a, action));
    else if (operand.kind === "arithmetic") {
      readsEncrypted(operand.left, action);
      readsEncrypted(operand.right, action);
    }
  };

  const place = (node: ValueNode, below: Below): void => {
    if (values[node.name] === undefined) throw refuseUndefinedValue(table, node.name);
    let name = `:dfe_v${rewrites.length}`;
    for (let i = 0; name in values; i++) name = `:dfe_v${rewrites.length}_${i}`;
    values[name] = structuredClone(values[node.name]);
    rewrites.push({ start: node.start, end: node.end, text: name });
    replaced.add(node.name);
    targetsIn(table, values, name, below, keyOf, targets);
  };

  for (const action of ast.actions) {
    const path = resolvePath(action.path, names);
    if (action.kind === "REMOVE") {
      beacons.remove(removedPath(table, path, "REMOVE"));
      continue;
    }
    if (action.kind === "ADD" || action.kind === "DELETE") {
      computedPath(table, path, action.kind);
      composites.write(path, action.value, action.kind);
      readsEncrypted(action.value, action.kind);
      continue;
    }
    const below = setPath(table, path, "SET");
    const where = pathText(path);
    if (!below) {
      readsEncrypted(action.value, `SET ${where}`);
      composites.write(path, action.value, "SET");
      continue;
    }
    // The path is an encrypted field, or holds some below it.
    // list_append keeps the stored elements, bound to their field and not to an index, and adds
    // elements whose fields are encrypted: it works on a list of encrypted elements, never on one.
    const lists = appendsElements(below);
    const allowed = lists
      ? `a :value, or if_not_exists and list_append (nested in any order) whose every argument is ${where} itself or a :value`
      : `a :value, or if_not_exists whose every argument is ${where} itself or a :value`;
    const writes = (operand: OperandNode, top: boolean): void => {
      if (operand.kind === "value") return place(operand, below);
      // The target read inside a function keeps its values where they are bound; alone it is a copy.
      if (!top && operand.kind === "path" && samePath(resolvePath(operand, names), path)) return;
      if (
        operand.kind === "call" &&
        operand.args.length === 2 &&
        (operand.name === "if_not_exists" || (lists && operand.name === "list_append"))
      ) {
        for (const arg of operand.args) writes(arg, false);
        return;
      }
      throw refuseSetValue(table, path, below, allowed);
    };
    beacons.set(path, below, action.value, (name) => values[name]);
    writes(action.value, true);
  }

  composites.finish(beacons.written);
  rewrites.push(...beacons.edits(expression, ast));
  if (rewrites.length === 0) return;
  if (Object.keys(namesCopy).length > 0) scope.ExpressionAttributeNames = namesCopy;
  let rewritten = expression;
  for (const r of [...rewrites].sort((a, b) => b.start - a.start))
    rewritten = rewritten.slice(0, r.start) + r.text + rewritten.slice(r.end);
  scope.UpdateExpression = rewritten;
  // DynamoDB refuses unused values: drop originals whose every use now has its own encrypted copy.
  const used = new Set([...valueNames(rewritten), ...valueNames(scope.ConditionExpression)]);
  for (const name of replaced) if (!used.has(name)) delete values[name];
  // DynamoDB refuses an empty map too (a REMOVE of a beaconed field adds names but no values).
  if (Object.keys(values).length > 0) scope.ExpressionAttributeValues = values;
  else delete scope.ExpressionAttributeValues;
}

/**
 * Legacy `AttributeUpdates`: `PUT` of an encrypted attribute (or of a map that
 * holds one) is encrypted, `ADD` is refused, `DELETE` of the attribute is allowed.
 */
export function planAttributeUpdates(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  targets: ValueTarget[],
  beaconWrites: BeaconWrite[],
  writtenBack: WrittenBack = () => false,
): void {
  if (!isObject(scope.AttributeUpdates)) return;
  const updates: Record<string, unknown> = { ...scope.AttributeUpdates };
  scope.AttributeUpdates = updates;
  const keyOf = requestKey(table, scope);
  for (const [name, update] of Object.entries(updates)) {
    if (!isObject(update)) continue;
    const below = attributeUpdate(
      table,
      name,
      update.Action ?? "PUT",
      update.Action === "DELETE" && update.Value !== undefined,
    );
    if (!below) continue;
    beaconAttributeUpdates(table, name, update, updates, beaconWrites, writtenBack);
    if (below.length === 0 || update.Value === undefined) continue;
    targetsIn(table, update, "Value", below, keyOf, targets);
  }
  compositeAttributeUpdates(table, updates, beaconWrites);
}
