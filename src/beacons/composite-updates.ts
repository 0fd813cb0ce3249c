import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { isObject, type WireItem } from "../format/wire";
import type { OperandNode, ValueNode } from "../expressions/ast";
import type { DocumentPath } from "../expressions/field-relation";
import type { BeaconField } from "./beacon-keyring";
import { type BeaconWrite, fieldValue } from "./beacon-writes";
import { matchComposite, planCompositeWrite, reachesCapture } from "./composite-values";
import type { CompositeBinding } from "./resolve-composites";

/** The composite attribute a written path is, if it is one (composites are top-level strings). */
function compositeAt(table: ResolvedTable, path: DocumentPath): CompositeBinding | undefined {
  return path.length === 1 && typeof path[0] === "string"
    ? table.compositeAttributes.get(path[0])
    : undefined;
}

function valuesIn(operand: OperandNode): ValueNode[] {
  if (operand.kind === "value") return [operand];
  if (operand.kind === "call") return operand.args.flatMap(valuesIn);
  if (operand.kind === "arithmetic") return [...valuesIn(operand.left), ...valuesIn(operand.right)];
  return [];
}

function refuseComputed(table: ResolvedTable, binding: CompositeBinding, action: string) {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `${action} ${binding.composite.attribute} computes a value that embeds the encrypted field "${binding.field.path}"; the plugin replaces the embedded text by its beacon only in SET ${binding.composite.attribute} = :value. Nothing was sent.`,
    { table: table.name, field: binding.field.path },
  );
}

/**
 * The composite attributes an UpdateExpression writes (on the plugin's copy
 * of its values): `SET composite = :v` is checked against the field's value
 * SET in the same expression and gets its embedded text replaced by the
 * beacon, as ElectroDB's update and patch send it; any other form whose
 * values the pattern matches is refused.
 */
export class CompositeUpdates {
  private readonly sets: { binding: CompositeBinding; name: string }[] = [];

  constructor(
    private readonly table: ResolvedTable,
    private readonly values: Record<string, unknown>,
    private readonly writes: BeaconWrite[],
  ) {}

  /** `SET path = operand`, or `ADD`/`DELETE` (`action`) of `operand` to the path. */
  write(path: DocumentPath, operand: OperandNode, action: "SET" | "ADD" | "DELETE"): void {
    const binding = compositeAt(this.table, path);
    if (!binding) return;
    if (action === "SET" && operand.kind === "value") {
      this.sets.push({ binding, name: operand.name });
      return;
    }
    for (const node of valuesIn(operand))
      if (
        matchComposite(this.table, binding, this.values[node.name]) ||
        reachesCapture(binding, this.values[node.name])
      )
        throw refuseComputed(this.table, binding, action);
  }

  /** Plans the planned SETs, once `written` holds the value each beaconed field is SET to in the expression. */
  finish(written: ReadonlyMap<BeaconField, unknown>): void {
    for (const binding of this.table.compositeAttributes.values())
      if (written.has(binding.field) && !this.sets.some((s) => s.binding === binding))
        requireComposite(this.table, binding);
    for (const { binding, name } of this.sets)
      planCompositeWrite(
        this.table,
        binding,
        this.values[name],
        written.get(binding.field),
        this.values,
        name,
        this.writes,
      );
  }
}

/** An update that sets a field without its `required` composite: refused, so the composite never keeps the old value's beacon. */
function requireComposite(table: ResolvedTable, binding: CompositeBinding): void {
  if (!binding.composite.required) return;
  throw new EncryptionError(
    "beacon.compositeMismatch",
    `The update sets the encrypted field "${binding.field.path}" but not "${binding.composite.attribute}", which must embed it (composites[].required): set both in the same request, or the key would keep the old value's beacon. Nothing was sent.`,
    { table: table.name, field: binding.field.path },
  );
}

/**
 * Legacy `AttributeUpdates` (the plugin's copy): a `PUT` of a composite
 * attribute is checked against the field `PUT` in the same request and gets
 * its embedded text replaced; another action whose value the pattern matches is refused.
 */
export function compositeAttributeUpdates(
  table: ResolvedTable,
  updates: Record<string, unknown>,
  writes: BeaconWrite[],
): void {
  if (table.compositeAttributes.size === 0) return;
  const put: WireItem = {};
  for (const [name, update] of Object.entries(updates))
    if (isObject(update) && (update.Action ?? "PUT") === "PUT") put[name] = update.Value as never;
  for (const [name, binding] of table.compositeAttributes) {
    const update = updates[name];
    if (!isObject(update)) {
      if (fieldValue(put, binding.field) !== undefined) requireComposite(table, binding);
      continue;
    }
    const action = update.Action ?? "PUT";
    if (action !== "PUT" && matchComposite(table, binding, update.Value))
      throw refuseComputed(
        table,
        binding,
        `AttributeUpdates ${typeof action === "string" ? action : "action"}`,
      );
    planCompositeWrite(
      table,
      binding,
      update.Value,
      fieldValue(put, binding.field),
      update,
      "Value",
      writes,
    );
  }
}
