import type { EncryptionErrorCode } from "../errors/error-codes";
import type { WireValue } from "../format/wire";

/**
 * What one item's beacon attribute holds, compared with the beacon of its
 * field's plaintext (decrypted, or as stored when the value is plaintext):
 * - `current`: the beacon attribute equals the field's beacon.
 * - `missing`: the field has a value but no beacon (the item was written
 *   before the beacon was configured); `migrate` writes `beacon`.
 * - `stale`: the attribute holds another beacon, or a value that is not type
 *   S (someone wrote the field without the plugin, or with another beacon
 *   key, length or normalisation); `migrate` writes `beacon`.
 * - `orphan`: a beacon attribute, but the field is absent or NULL;
 *   `migrate` removes it.
 * - `absent`: neither the field nor its beacon: nothing to do.
 * - `uncheckable`: the field's value cannot be read (undecryptable,
 *   misshapen) or has a type beacons do not cover: its beacon is unknown, so
 *   nothing is said about the attribute and nothing is written.
 */
export type BeaconState =
  | { kind: "current" }
  | { kind: "missing"; beacon: string }
  | { kind: "stale"; beacon: string }
  | { kind: "orphan" }
  | { kind: "absent" }
  | { kind: "uncheckable"; code: EncryptionErrorCode };

/** One beaconed field of one item: its beacon attribute as read, and its state. */
export interface BeaconAnalysis {
  /** The top-level attribute holding the beacon. */
  readonly attribute: string;
  /** The attribute's raw value as read; `undefined` when the item lacks it. A repair is conditional on it. */
  readonly stored: WireValue | undefined;
  readonly state: BeaconState;
}

/** Whether `migrate --only beacons` (or the default) writes or removes this beacon. */
export function beaconNeedsRepair(state: BeaconState): boolean {
  return state.kind === "missing" || state.kind === "stale" || state.kind === "orphan";
}

/**
 * What one item's composite attribute (a beacon's `composites`) holds, when
 * its pattern matches: `current` when the captured text is the field's
 * beacon; `stale` when it is anything else (the plaintext, written before the
 * composite was configured, or an old beacon), with `text`, the attribute
 * with the beacon in place of the captured text; `uncheckable` when the
 * field's value is unknown (absent, undecryptable, or of a type beacons do
 * not cover). Values the pattern does not match are other entities' and are
 * not analysed.
 */
export type CompositeState =
  { kind: "current" } | { kind: "stale"; text: string; beacon: string } | { kind: "uncheckable" };

/** One composite attribute of one item, as read. */
export interface CompositeAnalysis {
  readonly attribute: string;
  readonly stored: WireValue;
  readonly state: CompositeState;
}
