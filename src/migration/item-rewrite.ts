import type { ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { ENCRYPTED_PREFIX } from "../format/stored-text";
import type { WireItem, WireValue } from "../format/wire";
import { settleEncrypt } from "../items/settle";
import type { SharedEngine } from "../items/shared-engine";
import { fieldSlots, type ItemAnalysis } from "./page-analysis";
import { type RewriteKind, rewriteKinds } from "./value-state";

/**
 * One conditional `UpdateItem` for one item: the top-level attributes to
 * `SET` and to `REMOVE`, conditional on every attribute in `expect` still
 * holding exactly the raw value that was read (or, for `undefined`, still
 * being absent). Every attribute set or removed is in `expect`. Derived state
 * (beacons) plugs in here: a step that finds an item's derived attribute stale
 * adds it to `sets` (or `removes`), and both it and the source attributes it
 * read to `expect`.
 */
export interface ItemWrite {
  /** The item's key attributes. */
  readonly key: WireItem;
  /** Top-level attribute name → its new value. */
  readonly sets: Map<string, WireValue>;
  /** Top-level attributes to remove (an orphaned beacon). */
  readonly removes: Set<string>;
  /** Top-level attribute name → the raw value read (`undefined`: it was absent), which the write is conditional on. */
  readonly expect: Map<string, WireValue | undefined>;
  /** Per field path, how many values the write changes. */
  readonly values: Map<string, number>;
  /** Per field path, whether the write sets or removes the field's beacon. */
  readonly beacons: Map<string, "set" | "remove">;
  /** Composite attribute → the field path whose beacon the write puts in it. */
  readonly composites: Map<string, string>;
}

/** A write that changes nothing yet, for the item with these key attributes. */
export function emptyWrite(key: WireItem): ItemWrite {
  return {
    key,
    sets: new Map(),
    removes: new Set(),
    expect: new Map(),
    values: new Map(),
    beacons: new Map(),
    composites: new Map(),
  };
}

/** What an item needs: nothing, a write, or nothing possible because encrypting failed. */
export type ItemPlan =
  { kind: "none" } | { kind: "write"; write: ItemWrite } | { kind: "failed"; error: unknown };

/** Errors about one item's own values or key (a type pydynox cannot hold, a value over KMS's limit, a bad key), which retrying cannot fix. */
export function isItemFailure(error: unknown): boolean {
  return (
    error instanceof EncryptionError &&
    (error.code.startsWith("value.") || error.code.startsWith("item."))
  );
}

export function keyOf(analysis: ItemAnalysis): WireItem {
  const table = analysis.fields[0]!.target.table;
  const key: WireItem = {};
  for (const name of [table.partitionKey, table.sortKey])
    if (name !== undefined && analysis.item[name] !== undefined) key[name] = analysis.item[name];
  return key;
}

/**
 * Plans the writes for a page: for each field of each item, the values whose
 * rewrite `only` selects (plaintext, non-current keys, other formats) are
 * encrypted through the engine under the field's current settings (the
 * plugin's binding to table, key and field), one KMS call per data key for
 * the page. A field holding an undecryptable or misshapen value is left
 * entirely as it is. Values already current are kept byte for byte.
 */
export async function planRewrites(
  engine: SharedEngine,
  page: readonly ItemAnalysis[],
  only: ReadonlySet<RewriteKind>,
): Promise<ItemPlan[]> {
  const groups: ItemJob[][] = [];
  const owners: { item: number; field: number; chosen: number[] }[] = [];
  page.forEach((analysis, itemIndex) => {
    analysis.fields.forEach((f, fieldIndex) => {
      if (f.states.some((s) => s.kind === "undecryptable" || s.kind === "invalid")) return;
      const chosen: number[] = [];
      f.states.forEach((state, i) => {
        if (rewriteKinds(state).some((kind) => only.has(kind))) chosen.push(i);
      });
      if (chosen.length === 0) return;
      // Plaintext needs no decrypting; a field with encrypted values starts from its decrypted copy.
      const source = f.decrypted ?? analysis.item;
      groups.push([{ table: f.target.table, item: structuredClone(source) }]);
      owners.push({ item: itemIndex, field: fieldIndex, chosen });
    });
  });
  const plans: ItemPlan[] = page.map(() => ({ kind: "none" }));
  if (groups.length === 0) return plans;
  const settled = await settleEncrypt(engine.cipher, groups);
  const work = new Map<number, WireItem>();
  settled.forEach((result, g) => {
    const { item, field, chosen } = owners[g]!;
    const plan = plans[item]!;
    if (plan.kind === "failed") return;
    if (!result.ok) {
      // Only a failure of this item's own values fails the item; KMS throttling, an outage or a denial throws, so the page is retried or the run stops with its checkpoint before this page.
      if (!isItemFailure(result.error)) throw result.error;
      plans[item] = { kind: "failed", error: result.error };
      return;
    }
    const analysis = page[item]!;
    const target = analysis.fields[field]!.target;
    let copy = work.get(item);
    if (!copy) work.set(item, (copy = structuredClone(analysis.item)));
    const fresh = fieldSlots(groups[g]![0]!.item, target).slots;
    const into = fieldSlots(copy, target).slots;
    for (const i of chosen) {
      const value = fresh[i]!.value as { S?: unknown };
      // Precondition: the engine gave a ciphertext; anything else must never reach DynamoDB.
      if (typeof value.S !== "string" || !value.S.startsWith(ENCRYPTED_PREFIX))
        throw new EncryptionError(
          "value.invalid",
          `The engine returned no ciphertext for "${target.field.path}"; nothing was written`,
          { table: target.table.name, field: target.field.path },
        );
      (into[i]!.holder as Record<string | number, unknown>)[into[i]!.prop] = fresh[i]!.value;
    }
    const root = target.field.segments[0]!;
    const name = root.kind === "attr" ? root.name : "";
    const write = plan.kind === "write" ? plan.write : emptyWrite(keyOf(analysis));
    write.expect.set(name, analysis.item[name]);
    write.values.set(target.field.path, (write.values.get(target.field.path) ?? 0) + chosen.length);
    plans[item] = { kind: "write", write };
  });
  // The new top-level values, taken once every field of the item is spliced in.
  plans.forEach((plan, i) => {
    if (plan.kind !== "write") return;
    const copy = work.get(i)!;
    for (const name of plan.write.expect.keys()) plan.write.sets.set(name, copy[name]!);
  });
  return plans;
}
