import type { ItemCipher, ItemJob } from "../engine/item-cipher";
import { encryptWholeItems } from "./encrypt-whole-items";
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

/** {@link settle} for encrypting whole items (imports): see {@link encryptWholeItems}. */
export const settleEncryptItems = (engine: SharedEngine, groups: readonly (readonly ItemJob[])[]) =>
  settle((jobs) => encryptWholeItems(engine, jobs), groups);
