import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import type { WireItem } from "../format/wire";
import type { ItemCipher, ItemJob } from "../engine/item-cipher";
import { itemKey } from "../format/binding";
import {
  applyBeaconWrites,
  type BeaconWrite,
  planItemBeacons,
  type WrittenBack,
} from "./beacon-writes";

/**
 * Plans and computes the beacons of whole items being written (the item API's
 * `encryptItem(s)`; the plugin does the same for every Put): each beacon
 * attribute is set from the item's own field, and removed when it is absent.
 * Returns the computed writes (for the copy guard).
 */
export async function planJobBeacons(
  config: ResolvedConfig,
  cipher: ItemCipher,
  jobs: readonly ItemJob[],
): Promise<readonly BeaconWrite[]> {
  const writes: BeaconWrite[] = [];
  for (const { table, item } of jobs)
    planItemBeacons(table, item, writes, writtenBackBy(cipher, table, item));
  await applyBeaconWrites(config, writes);
  return writes;
}

/** Whether a WriteOnly client writes back, unchanged, a stored value its own read returned for this item (`keyed` holds its key) and field. */
export function writtenBackBy(
  cipher: ItemCipher,
  table: ResolvedTable,
  keyed: Record<string, unknown>,
): WrittenBack {
  return (field, value) => {
    const text = (value as { S?: unknown }).S;
    if (typeof text !== "string") return false;
    try {
      const key = itemKey(table, keyed as WireItem, undefined, { table: table.name });
      return cipher.wasHandedOut(table, field, key, text);
    } catch {
      return false;
    }
  };
}
