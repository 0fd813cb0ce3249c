import { planJobBeacons } from "../beacons/job-beacons";
import type { ItemCipher, ItemJob } from "../engine/item-cipher";
import { CopyNeedles } from "../copy-guard/copy-needles";
import { beaconNeedles } from "../copy-guard/beacon-needles";
import { guardItems } from "../copy-guard/guard-request";
import type { SharedEngine } from "./shared-engine";

/** What one group of a settled batch came to: done in place, or the error that stopped it. */
export type Settled = { ok: true } | { ok: false; error: unknown };

type Run = (jobs: readonly ItemJob[]) => Promise<void>;

/**
 * Runs groups of jobs (say, the two images of one stream record) through the
 * engine so that one bad group cannot fail the others: first all of them
 * together (one KMS call per data key); if that fails, each group alone. The
 * engine changes nothing when it throws, and the data keys the first pass
 * loaded stay cached, so the second pass costs little.
 */
export async function settle(
  run: Run,
  groups: readonly (readonly ItemJob[])[],
): Promise<Settled[]> {
  try {
    await run(groups.flat());
    return groups.map(() => ({ ok: true }));
  } catch (batchError) {
    if (groups.length === 1) return [{ ok: false, error: batchError }];
  }
  const out: Settled[] = [];
  for (const group of groups) {
    try {
      await run(group);
      out.push({ ok: true });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  return out;
}

/** {@link settle} for decrypting. */
export const settleDecrypt = (cipher: ItemCipher, groups: readonly (readonly ItemJob[])[]) =>
  settle(async (jobs) => {
    await cipher.decryptItems(jobs);
  }, groups);

/** {@link settle} for encrypting (the migration's rewrites, which carry only values read from the same item). */
export const settleEncrypt = (cipher: ItemCipher, groups: readonly (readonly ItemJob[])[]) =>
  settle((jobs) => cipher.encryptItems(jobs), groups);

/** Puts `item` back to `before` in place: its own attributes, none added. */
function restore(item: Record<string, unknown>, before: Record<string, unknown>): void {
  for (const name of Object.keys(item)) delete item[name];
  Object.assign(item, before);
}

/**
 * {@link settle} for encrypting whole items (imports): each beacon and
 * composite from the item's own field, as `encryptItems` and a Put through
 * the plugin write them (a beacon the input holds is never kept), then the
 * fields; each item is refused (`plaintext.copied`) when one of its other
 * attributes holds a copy of one of its encrypted values. Beacons and
 * composites are planned in place, so a refused pass puts every item back
 * as it was before the one-by-one pass (the engine restores only the slots
 * it encrypted).
 */
export const settleEncryptItems = (engine: SharedEngine, groups: readonly (readonly ItemJob[])[]) =>
  settle(async (jobs) => {
    const planned = jobs.some((j) => j.table.beaconAttributes.size > 0);
    const before = planned ? jobs.map((j) => structuredClone(j.item)) : [];
    try {
      const needles = new CopyNeedles();
      beaconNeedles(needles, await planJobBeacons(engine.resolved, engine.cipher, jobs));
      await engine.cipher.encryptItems(jobs, [], needles, () =>
        guardItems(
          needles,
          jobs.map((j) => j.item),
        ),
      );
    } catch (error) {
      if (planned) jobs.forEach((j, i) => restore(j.item, before[i]!));
      throw error;
    }
  }, groups);
