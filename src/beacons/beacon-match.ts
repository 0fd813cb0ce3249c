import type { BeaconField } from "./beacon-keyring";

/**
 * One rewritten equality that returned items are checked against: a returned
 * item matches only if its decrypted field, normalised, is one of the
 * searched values (`accepted`, as beacon inputs in hex).
 */
export interface BeaconMatch {
  field: BeaconField;
  accepted: ReadonlySet<string>;
}
