import type { ResolvedField } from "../config/resolved-config";
import type { ItemJob } from "../engine/item-cipher";
import { isValueFailure } from "../engine/decrypt-failure";
import { type FieldSlot, forEachSlot } from "../engine/field-locator";
import { EncryptionError } from "../errors/encryption-error";
import { itemKey } from "../format/binding";
import { describeCiphertext } from "../format/describe-ciphertext";
import { ENCRYPTED_PREFIX } from "../format/stored-text";
import { parseStoredValue } from "../format/stored-value";
import type { WireItem } from "../format/wire";
import { settleDecrypt } from "../items/settle";
import type { SharedEngine } from "../items/shared-engine";
import { fieldForItem } from "../tenancy/field-for-item";
import { analyseBeacons } from "./beacon-analysis";
import type { BeaconAnalysis, CompositeAnalysis } from "./beacon-state";
import type { KeyLocator } from "./key-locator";
import type { MigrationField } from "./migration-field";
import type { EncryptedForm, ValueState } from "./value-state";

/** One field of one item: the state of each of its values (none: the field is missing). */
export interface FieldAnalysis {
  readonly target: MigrationField;
  /** One state per value, in the order the field's path visits them. */
  readonly states: ValueState[];
  /** A copy of the item with this field's values decrypted, when every encrypted one decrypted. */
  decrypted?: WireItem;
  /** The field's beacon, when the field has one and beacons are in scope. */
  beacon?: BeaconAnalysis;
  /** The field's composite attributes whose pattern matches, when beacons are in scope. */
  composites?: CompositeAnalysis[];
}

/** One item as read, and what each of its fields holds. */
export interface ItemAnalysis {
  readonly item: WireItem;
  readonly fields: FieldAnalysis[];
}

/** The values a field's path names in an item, and whether some value has another shape than the path needs. */
export function fieldSlots(
  item: WireItem,
  target: MigrationField,
): { slots: FieldSlot[]; misshapen: boolean } {
  const slots: FieldSlot[] = [];
  let misshapen = false;
  forEachSlot(
    item,
    target.field.segments,
    (slot) => slots.push(slot),
    () => (misshapen = true),
  );
  return { slots, misshapen };
}

/** The format a field writes, as `describeCiphertext` names formats. */
function targetFormat(target: MigrationField): "native" | "pydynox" | "kms" {
  return target.field.scheme === "kms" ? "kms" : target.field.format;
}

interface Encrypted {
  analysis: FieldAnalysis;
  index: number;
  text: string;
}

/**
 * Classifies every value of the given fields in a page of items (see
 * {@link ValueState}). Encrypted values are decrypted through the engine, as
 * the plugin would with this field's keys and accepted formats, one KMS call
 * per data key for the page; a value failure marks only its field of its
 * item. KMS outages and throttling throw, so that the caller retries the page.
 * With `beacons`, each beaconed field's beacon is classified too (see
 * {@link analyseBeacons}). The items are not changed.
 */
export async function analysePage(
  engine: SharedEngine,
  locator: KeyLocator,
  targets: readonly MigrationField[],
  items: readonly WireItem[],
  beacons = false,
): Promise<ItemAnalysis[]> {
  const out: ItemAnalysis[] = [];
  const groups: ItemJob[][] = [];
  const groupOf: { analysis: FieldAnalysis; values: Encrypted[] }[] = [];
  for (const item of items) {
    const fields: FieldAnalysis[] = [];
    for (const target of targets) {
      const analysis: FieldAnalysis = { target, states: [] };
      fields.push(analysis);
      const { slots, misshapen } = fieldSlots(item, target);
      if (misshapen) analysis.states.push({ kind: "invalid", code: "value.unsupportedType" });
      const encrypted: Encrypted[] = [];
      for (const slot of slots) {
        const text = (slot.value as { S?: unknown }).S;
        const isText = typeof text === "string" && Object.keys(slot.value).length === 1;
        if (!isText || !text.startsWith(ENCRYPTED_PREFIX)) {
          analysis.states.push({ kind: "plaintext" });
          continue;
        }
        // Text with the ENC: prefix is a ciphertext or nothing: readers never take it as plaintext, so neither does the migration (it would launder a planted or damaged value).
        try {
          const stored = parseStoredValue(text, {
            table: target.table.name,
            field: target.field.path,
          });
          if (!target.field.accepts.has(stored.format)) {
            analysis.states.push({ kind: "undecryptable", code: "ciphertext.formatNotAllowed" });
            continue;
          }
        } catch (error) {
          if (!(error instanceof EncryptionError)) throw error;
          analysis.states.push({ kind: "undecryptable", code: error.code });
          continue;
        }
        encrypted.push({ analysis, index: analysis.states.length, text });
        // Until it has decrypted, the value counts as undecryptable: fail closed.
        analysis.states.push({ kind: "undecryptable", code: "ciphertext.malformed" });
      }
      if (encrypted.length > 0) {
        groups.push([{ table: target.table, item: structuredClone(item) }]);
        groupOf.push({ analysis, values: encrypted });
      }
    }
    out.push({ item, fields });
  }
  if (groups.length > 0) await decryptAndClassify(engine, locator, groups, groupOf);
  if (beacons) await analyseBeacons(engine, out);
  return out;
}

/** Decrypts the page's encrypted values, then classifies each by format, scheme and key. */
async function decryptAndClassify(
  engine: SharedEngine,
  locator: KeyLocator,
  groups: ItemJob[][],
  groupOf: readonly { analysis: FieldAnalysis; values: Encrypted[] }[],
): Promise<void> {
  const settled = await settleDecrypt(engine.cipher, groups);
  const forms: Promise<void>[] = [];
  settled.forEach((result, i) => {
    const { analysis, values } = groupOf[i]!;
    if (!result.ok) {
      if (!isValueFailure(result.error)) throw result.error;
      for (const v of values)
        analysis.states[v.index] = { kind: "undecryptable", code: result.error.code };
      return;
    }
    analysis.decrypted = groups[i]![0]!.item;
    for (const v of values) forms.push(classify(locator, analysis, v));
  });
  await Promise.all(forms);
}

async function classify(
  locator: KeyLocator,
  analysis: FieldAnalysis,
  value: Encrypted,
): Promise<void> {
  const { target } = analysis;
  const where = { table: target.table.name, field: target.field.path };
  const description = describeCiphertext(value.text);
  const stored = parseStoredValue(value.text, where);
  const blob =
    stored.format === "native"
      ? stored.envelope.wrapped
      : stored.format === "pydynox"
        ? stored.value.wrapped
        : stored.blob;
  const key = itemKey(target.table, analysis.decrypted!, undefined, where);
  let keyId: string;
  let field: ResolvedField;
  try {
    // The key and context this item's attributes choose (the field itself unless they are chosen per item).
    field = fieldForItem(target.table, target.field, analysis.decrypted!, undefined);
    keyId = await locator.locate(target.table, field, key, description, blob);
  } catch (error) {
    if (!isValueFailure(error)) throw error;
    analysis.states[value.index] = { kind: "undecryptable", code: error.code };
    return;
  }
  const form: EncryptedForm = { format: description.format, scheme: description.scheme, keyId };
  // A bound native value is never rewritten into pydynox's unbound format: for a field that writes pydynox, it counts as current.
  const downgrade = form.format === "native" && targetFormat(target) === "pydynox";
  const formats = form.format !== targetFormat(target) && !downgrade;
  const keys = keyId !== field.keyId;
  analysis.states[value.index] =
    formats || keys ? { kind: "notCurrent", keys, formats, ...form } : { kind: "current", ...form };
}
