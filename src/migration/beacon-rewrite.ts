import type { PathSegment } from "../config/field-path";
import { EncryptionError } from "../errors/encryption-error";
import { beaconNeedsRepair } from "./beacon-state";
import { emptyWrite, type ItemPlan, type ItemWrite, keyOf } from "./item-rewrite";
import type { ItemAnalysis } from "./page-analysis";

/** What a beacon looks like: lower-case hex (see `beaconText`). */
const BEACON_TEXT = /^[0-9a-f]{1,64}$/;

/**
 * The item's write (made when there is none yet), conditional on the raw value
 * of the top-level attribute that holds the field as read, or its absence: an
 * application write of the field in between then fails the migration's write.
 */
function expectingRoot(
  write: ItemWrite | undefined,
  analysis: ItemAnalysis,
  root: PathSegment,
): ItemWrite {
  const rootName = root.kind === "attr" ? root.name : "";
  write ??= emptyWrite(keyOf(analysis));
  if (!write.expect.has(rootName))
    write.expect.set(
      rootName,
      Object.hasOwn(analysis.item, rootName) ? analysis.item[rootName] : undefined,
    );
  return write;
}

/**
 * Adds the beacon repairs of a page to its planned writes (`plans`, from
 * `planRewrites`, one per item), so that an item's values and beacons change
 * in one conditional `UpdateItem`: a missing or stale beacon is `SET`, an
 * orphaned one is `REMOVE`d. Each repair is conditional on the beacon
 * attribute's raw value as read (or its absence) and on the raw value of the
 * top-level attribute holding the field (or its absence), so that an
 * application write of either in between fails the write. Beacons that are
 * current or uncheckable (a value that did not decrypt) are never written,
 * nor is anything for an item whose values failed to encrypt. The beacon of a
 * plaintext value is written only with its encryption, or when the field
 * allows plaintext: otherwise a reader's lookup that met the item would fail
 * on its plaintext (`ciphertext.plaintextNotAllowed`) where it now misses it;
 * such a beacon is passed to `deferred`.
 */
export function planBeaconWrites(
  page: readonly ItemAnalysis[],
  plans: ItemPlan[],
  deferred: (path: string, item: number) => void = () => undefined,
): void {
  page.forEach((analysis, i) => {
    const plan = plans[i]!;
    if (plan.kind === "failed") return;
    let write = plan.kind === "write" ? plan.write : undefined;
    for (const f of analysis.fields) {
      const beacon = f.beacon;
      if (!beacon || !beaconNeedsRepair(beacon.state)) continue;
      const field = f.target.field;
      const plaintext = f.states.some((s) => s.kind === "plaintext");
      if (
        beacon.state.kind !== "orphan" &&
        plaintext &&
        !field.allowPlaintext &&
        !write?.values.has(field.path)
      ) {
        deferred(field.path, i);
        continue;
      }
      write = expectingRoot(write, analysis, field.segments[0]!);
      write.expect.set(beacon.attribute, beacon.stored);
      const state = beacon.state;
      if (state.kind === "orphan") {
        write.removes.add(beacon.attribute);
        write.beacons.set(field.path, "remove");
        continue;
      }
      const text = state.kind === "missing" || state.kind === "stale" ? state.beacon : "";
      // Precondition: a beacon is short hex text; anything else (a value) must never reach DynamoDB.
      if (!BEACON_TEXT.test(text))
        throw new EncryptionError(
          "value.invalid",
          `The beacon computed for "${field.path}" is not beacon text; nothing was written`,
          { table: f.target.table.name, field: field.path },
        );
      write.sets.set(beacon.attribute, { S: text });
      write.beacons.set(field.path, "set");
    }
    for (const f of analysis.fields) write = planCompositeWrites(analysis, f, write);
    if (write && plan.kind === "none") plans[i] = { kind: "write", write };
  });
}

/**
 * A field's stale composites: each is set to its text with the beacon in
 * place of the captured text, conditional on the composite's and the
 * field's raw values as read. Like a beacon, not written for a plaintext
 * value the run does not encrypt unless the field allows plaintext.
 */
function planCompositeWrites(
  analysis: ItemAnalysis,
  f: ItemAnalysis["fields"][number],
  write: ItemWrite | undefined,
): ItemWrite | undefined {
  const field = f.target.field;
  const plaintext = f.states.some((s) => s.kind === "plaintext");
  for (const composite of f.composites ?? []) {
    const { state } = composite;
    if (state.kind !== "stale") continue;
    if (plaintext && !field.allowPlaintext && !write?.values.has(field.path)) continue;
    // Precondition: only beacon text replaces the captured text.
    if (!BEACON_TEXT.test(state.beacon))
      throw new EncryptionError(
        "value.invalid",
        `The beacon computed for "${field.path}" is not beacon text; nothing was written`,
        { table: f.target.table.name, field: field.path },
      );
    write = expectingRoot(write, analysis, field.segments[0]!);
    write.expect.set(composite.attribute, composite.stored);
    write.sets.set(composite.attribute, { S: state.text });
    write.composites.set(composite.attribute, field.path);
  }
  return write;
}
