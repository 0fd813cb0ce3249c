import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import type { WireItem } from "../format/wire";
import { refuseBeaconWrite } from "../access/field-access";
import { type BeaconField, beaconKeyring, beaconSource, hasBeacon } from "./beacon-keyring";

/**
 * A beacon to compute once the beacon key is in memory: `{ S: beacon }` goes
 * to `holder[prop]`. `value` is the field's plaintext, captured before the
 * request's values are encrypted in place.
 */
export interface BeaconWrite {
  table: ResolvedTable;
  field: BeaconField;
  value: unknown;
  holder: Record<string, unknown>;
  prop: string;
}

/** Computes every planned beacon (one KMS `Decrypt` per process for the key); call before encrypting. */
export async function applyBeaconWrites(
  config: ResolvedConfig,
  writes: readonly BeaconWrite[],
): Promise<void> {
  if (writes.length === 0) return;
  const keyring = beaconKeyring(config);
  const key = await keyring.ready();
  for (const w of writes) w.holder[w.prop] = { S: keyring.beacon(w.table, w.field, w.value, key) };
}

/** Whether a value stands for no value: absent or NULL, which has no beacon. */
export function isNoValue(value: unknown): boolean {
  return value === undefined || (typeof value === "object" && value !== null && "NULL" in value);
}

/** The one value a field path names in an item (beaconed fields are never inside list elements). */
export function fieldValue(item: WireItem, field: BeaconField): unknown {
  let found: unknown;
  forEachSlot(item, field.segments, (slot) => (found = slot.value));
  return found;
}

/**
 * A whole item being written (Put, a batch or transaction Put, a PartiQL
 * INSERT): refuses a beacon attribute the caller wrote, and plans each
 * beaconed field's beacon into the item. `writtenBack` tells a stored value a
 * WriteOnly client read and writes back unchanged: its beacon, read with it,
 * goes back unchanged too.
 */
export function planItemBeacons(
  table: ResolvedTable,
  item: WireItem,
  writes: BeaconWrite[],
  writtenBack: (field: BeaconField, value: unknown) => boolean,
): void {
  if (table.beaconAttributes.size === 0) return;
  for (const [attribute, field] of table.beaconAttributes) {
    if (!hasBeacon(field)) continue;
    const value = fieldValue(item, field);
    if (field.mode === "WriteOnly" && !isNoValue(value) && writtenBack(field, value)) continue;
    if (Object.prototype.hasOwnProperty.call(item, attribute))
      throw refuseBeaconWrite(table, attribute, field.path);
    // ReadOnly fields are never written (the cipher refuses them), so they never get a beacon.
    if (field.mode === "ReadOnly" || isNoValue(value)) continue;
    beaconSource(table, field, value);
    writes.push({ table, field, value, holder: item, prop: attribute });
  }
}
