import type { ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import type { WireItem } from "../format/wire";
import type { OperandNode, UpdateNode } from "../expressions/ast";
import type { DocumentPath } from "../expressions/field-relation";
import { clauseEnd } from "../expressions/parser";
import { type Below, refuseBeaconUpdate } from "../access/field-access";
import { type BeaconField, beaconSource, hasBeacon } from "./beacon-keyring";
import { type BeaconWrite, isNoValue, type WrittenBack } from "./beacon-writes";

/** A text edit of an expression: replace `[start, end)` with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

function unique(taken: Record<string, unknown>, base: string): string {
  let name = base;
  for (let i = 1; name in taken; i++) name = `${base}_${i}`;
  return name;
}

/**
 * The beacon actions an UpdateExpression needs, so that each beacon changes
 * in the same request as its field: `SET field = :v` adds
 * `SET #beacon = :beaconOfV`, `SET field = if_not_exists(field, :v)` adds
 * `SET #beacon = if_not_exists(#beacon, :beaconOfV)`, setting or removing a
 * map that holds the field sets or removes the beacon, and a NULL or absent
 * value removes it. Works on the plugin's copies of the names and values.
 */
export class UpdateBeacons {
  /** The value each beaconed field is SET to (undefined when removed), which composites must embed. */
  readonly written = new Map<BeaconField, unknown>();
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];

  constructor(
    private readonly table: ResolvedTable,
    private readonly names: Record<string, unknown>,
    private readonly values: Record<string, unknown>,
    private readonly writes: BeaconWrite[],
    private readonly writtenBack: WrittenBack,
  ) {}

  private name(attribute: string): string {
    const placeholder = unique(this.names, "#dfe_b");
    this.names[placeholder] = attribute;
    return placeholder;
  }

  private value(field: BeaconWrite["field"], plaintext: unknown): string {
    beaconSource(this.table, field, plaintext);
    const placeholder = unique(this.values, ":dfe_b");
    this.values[placeholder] = { S: "" };
    this.writes.push({
      table: this.table,
      field,
      value: plaintext,
      holder: this.values,
      prop: placeholder,
    });
    return placeholder;
  }

  /**
   * `SET path = operand`, `below` the encrypted fields at or under the path;
   * `valueOf` reads a `:value`. Only a `:value` keeps a beacon in step:
   * `if_not_exists` is refused, since the field and its beacon would be tested
   * separately. A ReadOnly field gets no beacon, but loses it with the field.
   * A WriteOnly client writing back the stored value it read leaves the
   * beacon as it is, since the value does not change.
   */
  set(
    path: DocumentPath,
    below: Below,
    operand: OperandNode,
    valueOf: (name: string) => unknown,
  ): void {
    for (const { field, remaining } of below) {
      if (!hasBeacon(field)) continue;
      if (operand.kind !== "value") throw refuseBeaconUpdate(this.table, path, field.path);
      const attribute = field.beacon.attribute;
      let found: unknown;
      forEachSlot(
        { v: valueOf(operand.name) } as WireItem,
        [{ kind: "attr", name: "v" }, ...remaining],
        (slot) => (found = slot.value),
      );
      // A value written back unread is not a plaintext a composite can be checked against.
      const back =
        !isNoValue(found) && field.mode === "WriteOnly" && this.writtenBack(field, found);
      this.written.set(field, back ? undefined : found);
      if (isNoValue(found)) this.removes.push(this.name(attribute));
      else if (back) continue;
      else if (field.mode !== "ReadOnly")
        this.sets.push(`${this.name(attribute)} = ${this.value(field, found)}`);
    }
  }

  /** `REMOVE path`, `below` the encrypted fields at or under it. */
  remove(below: Below): void {
    for (const { field } of below)
      if (hasBeacon(field)) this.removes.push(this.name(field.beacon.attribute));
  }

  /** The edits that add the planned actions to `expression`. */
  edits(expression: string, ast: UpdateNode): TextEdit[] {
    const edits: TextEdit[] = [];
    let tail = "";
    for (const [clause, actions] of [
      ["SET", this.sets],
      ["REMOVE", this.removes],
    ] as const) {
      if (actions.length === 0) continue;
      const at = clauseEnd(ast, clause);
      if (at === undefined) tail += ` ${clause} ${actions.join(", ")}`;
      else edits.push({ start: at, end: at, text: ` ${actions.join(", ")},` });
    }
    if (tail) edits.push({ start: expression.length, end: expression.length, text: tail });
    return edits;
  }
}
