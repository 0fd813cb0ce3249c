import type { ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import { isObject, type WireItem } from "../format/wire";
import { relate } from "../expressions/field-relation";
import { beaconSource, hasBeacon } from "./beacon-keyring";
import { type BeaconWrite, isNoValue, type WrittenBack } from "./beacon-writes";

/**
 * Legacy `AttributeUpdates` on attribute `name` (already checked by
 * field-access.ts): a `PUT` of a beaconed field, or of a map that holds one,
 * puts its beacon (or deletes it when the value has none); a `DELETE` deletes it.
 */
export function beaconAttributeUpdates(
  table: ResolvedTable,
  name: string,
  update: Record<string, unknown>,
  updates: Record<string, unknown>,
  writes: BeaconWrite[],
  writtenBack: WrittenBack,
): void {
  const relation = relate([name], table.fields);
  const below =
    relation.kind === "exact"
      ? [{ field: relation.field, remaining: [] }]
      : relation.kind === "ancestor"
        ? relation.below
        : [];
  for (const { field, remaining } of below) {
    if (!hasBeacon(field)) continue;
    const attribute = field.beacon.attribute;
    let found: unknown;
    if ((update.Action ?? "PUT") === "PUT" && isObject(update))
      forEachSlot(
        { v: update.Value } as WireItem,
        [{ kind: "attr", name: "v" }, ...remaining],
        (slot) => (found = slot.value),
      );
    if (isNoValue(found)) {
      updates[attribute] = { Action: "DELETE" };
      continue;
    }
    // A ReadOnly field is never written (the cipher refuses it); a value a WriteOnly client writes back keeps its beacon.
    if (field.mode === "ReadOnly" || (field.mode === "WriteOnly" && writtenBack(field, found)))
      continue;
    beaconSource(table, field, found);
    const entry: Record<string, unknown> = { Action: "PUT", Value: { S: "" } };
    updates[attribute] = entry;
    writes.push({ table, field, value: found, holder: entry, prop: "Value" });
  }
}
