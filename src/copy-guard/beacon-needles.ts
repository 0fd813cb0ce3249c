import type { BeaconWrite } from "../beacons/beacon-writes";
import type { CopyNeedles } from "./copy-needles";

/**
 * The copy guard's needles from computed beacons: the plaintext each was made
 * from (a written field's value, or a lookup's searched value, whose copy
 * elsewhere in a Query would send what the beacon hides), and the beacon
 * itself, which the guard skips. Call after the beacons are computed.
 */
export function beaconNeedles(needles: CopyNeedles, writes: readonly BeaconWrite[]): void {
  for (const w of writes) {
    needles.add(w.table, w.field, w.value, w.holder);
    const beacon = w.holder[w.prop];
    // A composite key keeps the caller's text around the beacon: that text is searched, only the beacon (and the pattern's literal prefix) skipped.
    needles.skip(beacon, w.callerText ?? w.around);
    const text = (beacon as { S?: unknown } | undefined)?.S;
    if (typeof text === "string" && !w.around) needles.producedText.add(text);
  }
}
