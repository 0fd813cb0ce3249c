import type { ResolvedTable } from "../config/resolved-config";
import { beaconInput } from "./beacon-derivation";
import { type BeaconField, beaconSource } from "./beacon-keyring";

/**
 * One rewritten equality that returned items are checked against: a returned
 * item matches only if its decrypted field, normalised, is one of the
 * searched values (`accepted`, as beacon inputs in hex).
 */
export interface BeaconMatch {
  field: BeaconField;
  accepted: ReadonlySet<string>;
}

/**
 * What a value is compared by, for a {@link BeaconMatch}: its beacon input
 * (type tag and normalised value) in hex. A searched value and a decrypted one
 * are equal for a lookup exactly when these are. Throws
 * `beacon.unsupportedValue` for a type beacons do not cover.
 */
export function matchKey(table: ResolvedTable, field: BeaconField, value: unknown): string {
  return beaconInput(beaconSource(table, field, value), field.beacon).toString("hex");
}
