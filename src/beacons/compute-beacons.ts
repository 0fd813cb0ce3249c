import type { FieldEncryptionConfig } from "../config/config-types";
import { type EngineCarrier, sharedEngine } from "../items/shared-engine";
import { requireTable } from "../items/table-lookup";
import type { WireItem } from "../format/wire";
import { isStoredCiphertext } from "../format/stored-value";
import { EncryptionError } from "../errors/encryption-error";
import { applyBeaconWrites, type BeaconWrite, fieldValue, isNoValue } from "./beacon-writes";
import { beaconSource, hasBeacon } from "./beacon-keyring";

/**
 * The beacon attributes of a plaintext item (AttributeValues, as
 * `decryptItem` of an attributeValue-shaped encryptor returns it): for each
 * beaconed field the item holds, `{ [attribute]: { S: beacon } }`; a field it
 * lacks (or holds as NULL) has its attribute in `absent`, whose beacon should
 * be removed. For backfilling items written before a beacon was configured,
 * and for repairing stale beacons: write these beside the stored item (an
 * UpdateItem with a plain client, or a Put of the item through the plugin).
 * `table` is a configured table name or `logicalName`; the beacon key is
 * unwrapped once, shared with the plugin when `source` is its encryptor.
 */
export async function computeBeacons(
  source: FieldEncryptionConfig | EngineCarrier,
  table: string,
  item: Record<string, unknown>,
): Promise<{ beacons: Record<string, { S: string }>; absent: string[] }> {
  const { resolved } = sharedEngine(source);
  const resolvedTable = requireTable(resolved, table);
  const beacons: Record<string, { S: string }> = {};
  const absent: string[] = [];
  const writes: BeaconWrite[] = [];
  for (const [attribute, field] of resolvedTable.beaconAttributes) {
    if (!hasBeacon(field)) continue;
    const value = fieldValue(item as WireItem, field);
    if (isNoValue(value)) {
      absent.push(attribute);
      continue;
    }
    beaconSource(resolvedTable, field, value);
    // Precondition: the item is plaintext; a stored ciphertext hashed here would give a beacon no lookup ever matches, silently.
    const text = (value as { S?: unknown }).S;
    if (typeof text === "string" && isStoredCiphertext(text))
      throw new EncryptionError(
        "beacon.unsupportedValue",
        `"${field.path}" holds a stored ciphertext, not its plaintext: computeBeacons takes a decrypted item (decryptItem's result), so that the beacon is the plaintext's.`,
        { table: resolvedTable.name, field: field.path },
      );
    writes.push({ table: resolvedTable, field, value, holder: beacons, prop: attribute });
  }
  await applyBeaconWrites(resolved, writes);
  return { beacons, absent };
}
