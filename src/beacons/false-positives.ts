import type { ResolvedTable } from "../config/resolved-config";
import type { WireItem } from "../format/wire";
import { EncryptionError } from "../errors/encryption-error";
import { type BeaconMatch, matchKey } from "./beacon-match";
import { fieldValue, isNoValue } from "./beacon-writes";

/** Whether a decrypted item's field, normalised, is one of the searched values of every match. */
export function matchesAll(
  table: ResolvedTable,
  item: WireItem,
  matches: readonly BeaconMatch[],
): boolean {
  return matches.every(({ field, accepted }) => {
    const value = fieldValue(item, field);
    // An item without the field (a stale beacon, or an index that does not project the field: see
    // docs/searchable-encryption.md) does not hold the searched value.
    if (isNoValue(value)) return false;
    try {
      return accepted.has(matchKey(table, field, value));
    } catch (error) {
      // A value of a type beacons do not cover (written around the plugin) cannot equal a searched value: it is not a match, and must not fail the lookup of everyone sharing its beacon.
      if (EncryptionError.is(error, "beacon.unsupportedValue")) return false;
      throw error;
    }
  });
}

/**
 * Removes, after decryption, the items of a Query, Scan or SELECT page that
 * share a truncated beacon with a searched value but hold another value, and
 * sets `Count` to what is left. `ScannedCount` and `LastEvaluatedKey` stay
 * DynamoDB's, so pagination is unchanged. Returns whether anything changed.
 */
export function removeFalsePositives(
  table: ResolvedTable,
  body: Record<string, unknown>,
  matches: readonly BeaconMatch[],
): boolean {
  const items = body.Items;
  if (matches.length === 0 || !Array.isArray(items)) return false;
  const kept = (items as WireItem[]).filter((item) => matchesAll(table, item, matches));
  if (kept.length === items.length) return false;
  items.splice(0, items.length, ...kept);
  if (typeof body.Count === "number") body.Count = kept.length;
  return true;
}
