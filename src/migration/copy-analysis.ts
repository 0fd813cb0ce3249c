import type { ResolvedTable } from "../config/resolved-config";
import { CopyNeedles } from "../copy-guard/copy-needles";
import { addPlaintextNeedles, keyAttributesWithCopies } from "../copy-guard/key-copies";
import { ValueSearch } from "../copy-guard/value-search";
import { forEachSlot } from "../engine/field-locator";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import type { ItemAnalysis } from "./page-analysis";

/** Where a stored item holds a copy of one of its encrypted fields' plaintext: never the value. */
export interface StoredCopy {
  item: WireItem;
  /** The attribute path that holds the copy (`gsi1pk`, `profile.note`, `tags[2]`). */
  attribute: string;
  field: string;
  /** The item's key attributes that hold some copy (whichever copy is reported): never to be printed. */
  keyCopies: string[];
}

/** The first copy the guard finds in an item, or undefined. */
function firstCopy(
  needles: CopyNeedles,
  item: WireItem,
): { attribute: string; field: string } | undefined {
  try {
    new ValueSearch(needles, needles.needles).item(item);
    return undefined;
  } catch (error) {
    if (!EncryptionError.is(error, "plaintext.copied")) throw error;
    return { attribute: error.attribute!, field: error.field! };
  }
}

/**
 * The copy guard on stored items (`verify`): each item's unencrypted
 * attributes are searched for the plaintext of its encrypted fields (the
 * decrypted values, or legacy plaintext as stored), as the guard refuses such
 * writes now; items written before it, or around the plugin, may hold one.
 * The fields' own values and the beacon attributes are skipped (a configured
 * composite that holds a beacon is no copy either). Reports the first copy
 * per item, and every key attribute that holds one (so that no report
 * prints it). Fields that do not decrypt give no needle: their plaintext is
 * unknown.
 */
export function findStoredCopies(
  table: ResolvedTable,
  page: readonly ItemAnalysis[],
): StoredCopy[] {
  const copies: StoredCopy[] = [];
  for (const analysis of page) {
    const needles = new CopyNeedles();
    for (const { target, decrypted } of analysis.fields) {
      // A decrypted item's values are all plaintext; in the stored item, values that are ENC: text did not decrypt.
      if (decrypted !== undefined)
        forEachSlot(decrypted, target.field.segments, (slot) =>
          needles.add(target.table, target.field, slot.value),
        );
      else addPlaintextNeedles(needles, target.table, target.field, analysis.item);
    }
    if (needles.needles.length === 0) continue;
    for (const field of table.fields)
      forEachSlot(analysis.item, field.segments, (slot) => needles.skip(slot.value));
    for (const attribute of table.beaconAttributes.keys()) needles.skip(analysis.item[attribute]);
    const hit = firstCopy(needles, analysis.item);
    if (!hit) continue;
    const keyCopies = keyAttributesWithCopies(table, analysis.item, needles);
    copies.push({ item: analysis.item, ...hit, keyCopies });
  }
  return copies;
}
