import { planJobBeacons } from "../beacons/job-beacons";
import { beaconNeedles } from "../copy-guard/beacon-needles";
import { CopyNeedles } from "../copy-guard/copy-needles";
import { guardItems } from "../copy-guard/guard-request";
import type { ItemJob } from "../engine/item-cipher";
import type { SharedEngine } from "./shared-engine";

/**
 * Encrypts whole items outside a request (the item API's `encryptItems`,
 * imports) as a Put through the plugin would: each beacon and composite from
 * the item's own field (a beacon the input holds is never kept), then the
 * fields, then the copy guard on each item's own values (`plaintext.copied`).
 * When the guard refuses, the engine puts every encrypted value back; beacons
 * and composites stay planned, and planning them again from the same
 * plaintext gives the same result, so a caller may retry the items one by one.
 */
export async function encryptWholeItems(
  engine: SharedEngine,
  jobs: readonly ItemJob[],
): Promise<void> {
  const needles = new CopyNeedles();
  beaconNeedles(needles, await planJobBeacons(engine.resolved, engine.cipher, jobs));
  await engine.cipher.encryptItems(jobs, [], needles, () =>
    guardItems(
      needles,
      jobs.map((j) => j.item),
    ),
  );
}
