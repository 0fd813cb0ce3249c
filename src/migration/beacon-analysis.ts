import { type BeaconField, beaconKeyring, hasBeacon } from "../beacons/beacon-keyring";
import { fieldValue, isNoValue } from "../beacons/beacon-writes";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import type { SharedEngine } from "../items/shared-engine";
import type { BeaconAnalysis } from "./beacon-state";
import { classifyComposites } from "./composite-analysis";
import type { FieldAnalysis, ItemAnalysis } from "./page-analysis";

/**
 * Classifies the beacon of every beaconed field of a page that
 * {@link analysePage} has classified (see {@link BeaconState}), and sets
 * each such field's `beacon`. The beacon is computed exactly as the plugin
 * computes it on a write (same beacon key, per-table and per-field subkey,
 * normalisation and length), from the field's decrypted value, or from the
 * stored value when it is plaintext. Beacons are per table and field, never
 * per tenant: a value decrypted under its own tenant's key has the same
 * beacon as an equal value of another tenant. The beacon key is unwrapped
 * once per process (a KMS failure throws, so that the caller retries the
 * page); a page without beaconed fields costs nothing.
 */
export async function analyseBeacons(
  engine: SharedEngine,
  page: readonly ItemAnalysis[],
): Promise<void> {
  if (!page.some((a) => a.fields.some((f) => hasBeacon(f.target.field)))) return;
  const keyring = beaconKeyring(engine.resolved);
  const key = await keyring.ready();
  for (const { item, fields } of page)
    for (const f of fields) {
      const field = f.target.field;
      if (!hasBeacon(field)) continue;
      const beaconOf = (value: unknown) => keyring.beacon(f.target.table, field, value, key);
      f.beacon = classifyBeacon(item, f, field, beaconOf);
      const composites = classifyComposites(f.target.table, item, f, field, beaconOf);
      if (composites.length > 0) f.composites = composites;
    }
}

function classifyBeacon(
  item: WireItem,
  f: FieldAnalysis,
  field: BeaconField,
  beaconOf: (value: unknown) => string,
): BeaconAnalysis {
  const attribute = field.beacon.attribute;
  const stored = Object.hasOwn(item, attribute) ? item[attribute] : undefined;
  const at = (state: BeaconAnalysis["state"]): BeaconAnalysis => ({ attribute, stored, state });
  // Never guess: a value that did not decrypt (or has another shape) has no known beacon.
  for (const s of f.states)
    if (s.kind === "undecryptable" || s.kind === "invalid")
      return at({ kind: "uncheckable", code: s.code });
  // Plaintext is its own source; an encrypted value is read from the field's decrypted copy.
  const value = f.states.length === 0 ? undefined : fieldValue(f.decrypted ?? item, field);
  if (isNoValue(value)) return at({ kind: stored === undefined ? "absent" : "orphan" });
  let beacon: string;
  try {
    beacon = beaconOf(value);
  } catch (error) {
    if (!EncryptionError.is(error, "beacon.unsupportedValue")) throw error;
    return at({ kind: "uncheckable", code: error.code });
  }
  if (stored === undefined) return at({ kind: "missing", beacon });
  const text = (stored as { S?: unknown }).S;
  const same = typeof text === "string" && Object.keys(stored).length === 1 && text === beacon;
  return at(same ? { kind: "current" } : { kind: "stale", beacon });
}
