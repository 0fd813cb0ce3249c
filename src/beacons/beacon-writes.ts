import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import { forEachSlot } from "../engine/field-locator";
import type { WireItem } from "../format/wire";
import { refuseBeaconWriteBack } from "../access/field-access";
import { type BeaconField, beaconKeyring, beaconSource, hasBeacon } from "./beacon-keyring";
import { planCompositeWrite } from "./composite-values";

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
  /** For a composite attribute: the text before and after the embedded value, which the beacon replaces. */
  around?: readonly [string, string];
  /**
   * For a composite attribute: the caller's part of `around`, without the
   * pattern's literal prefix (config, not data). The copy guard searches it.
   */
  callerText?: readonly [string, string];
  /** Called with the computed beacon before it is placed; throws to refuse the request. */
  check?: (beacon: string) => void;
}

/** Computes every planned beacon (one KMS `Decrypt` per process for the key); call before encrypting. */
export async function applyBeaconWrites(
  config: ResolvedConfig,
  writes: readonly BeaconWrite[],
): Promise<void> {
  if (writes.length === 0) return;
  const keyring = beaconKeyring(config);
  const key = await keyring.ready();
  for (const w of writes) {
    const beacon = keyring.beacon(w.table, w.field, w.value, key);
    w.check?.(beacon);
    w.holder[w.prop] = { S: w.around ? `${w.around[0]}${beacon}${w.around[1]}` : beacon };
  }
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

/** Whether a WriteOnly client writes back, unchanged, a stored value its own read returned for this item and field. */
export type WrittenBack = (field: BeaconField, value: unknown) => boolean;

/**
 * A whole item being written (Put, a batch or transaction Put, the item
 * API): each beacon attribute is set from the item's own field, whatever the
 * caller's item held there (an item read with its beacons can be put back),
 * and removed when the field is absent. A WriteOnly client writing back a
 * stored value it cannot read is refused for a beaconed field: it cannot
 * compute that value's beacon, and one it passes along cannot be checked.
 */
export function planItemBeacons(
  table: ResolvedTable,
  item: WireItem,
  writes: BeaconWrite[],
  writtenBack: WrittenBack,
): void {
  if (table.beaconAttributes.size === 0) return;
  for (const [attribute, field] of table.beaconAttributes) {
    if (!hasBeacon(field)) continue;
    const value = fieldValue(item, field);
    if (field.mode === "WriteOnly" && !isNoValue(value) && writtenBack(field, value))
      throw refuseBeaconWriteBack(table, field.path);
    delete (item as Record<string, unknown>)[attribute];
    // ReadOnly fields are never written (the cipher refuses them), so they never get a beacon.
    if (field.mode === "ReadOnly" || isNoValue(value)) continue;
    beaconSource(table, field, value);
    writes.push({ table, field, value, holder: item, prop: attribute });
  }
  planItemComposites(table, item, writes);
}

/** A whole item being written (Put, batch and transaction Puts, the item API): each composite attribute embeds the item's own field. */
function planItemComposites(table: ResolvedTable, item: WireItem, writes: BeaconWrite[]): void {
  for (const [attribute, binding] of table.compositeAttributes)
    planCompositeWrite(
      table,
      binding,
      item[attribute],
      fieldValue(item, binding.field),
      item,
      attribute,
      writes,
    );
}
