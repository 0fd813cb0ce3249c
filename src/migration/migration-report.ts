import type { EncryptionErrorCode } from "../errors/error-codes";
import type { WireItem } from "../format/wire";
import type { BeaconAnalysis, CompositeAnalysis } from "./beacon-state";
import type { ItemAnalysis } from "./page-analysis";
import type { RewriteKind } from "./value-state";

/** Counts for one configured field. */
export interface FieldCounts {
  /** Items where the field is absent, or a NULL stands on the way to a nested field (a NULL at the field itself is a plaintext value). */
  missing: number;
  /** Values without `ENC:` (any type, NULL included), as readers see them. */
  plaintext: number;
  /** Values in the field's target state: its format, scheme and current key. */
  current: number;
  /** Values that decrypt but need re-encrypting, by reason: a retired key, another format or scheme (a value with both counts in both). */
  notCurrent: { keys: number; formats: number };
  /** Encrypted values that decrypt, by `format/scheme/keyId`. */
  encrypted: Record<string, number>;
  /** Values that do not decrypt, by error code. */
  undecryptable: Partial<Record<EncryptionErrorCode, number>>;
  /** Values of another shape than the path needs (a string where a map should be). */
  invalid: number;
  /** Values this run rewrote (or, with `dryRun`, would rewrite). */
  rewritten: number;
  /** The field's beacon, when it has one and `beacons` is in scope (`only`). */
  beacons?: BeaconCounts;
}

/**
 * Counts of one beaconed field's beacons, one per item scanned (see
 * `BeaconState`): what a lookup by the beacon would get wrong before
 * `migrate --only beacons` repairs it.
 */
export interface BeaconCounts {
  /** The beacon attribute. */
  attribute: string;
  /** The attribute holds the beacon of the field's value. */
  current: number;
  /** The field has a value but the item no beacon (written before the beacon was configured): lookups miss the item. */
  missing: number;
  /** The attribute holds another beacon, or a value that is not type S (the field was written without the plugin, or with another beacon key, length or normalisation): lookups miss the item. */
  stale: number;
  /** A beacon attribute beside an absent or NULL field. */
  orphan: number;
  /** Neither the field nor a beacon. */
  absent: number;
  /** Items whose beacon cannot be checked, by error code: the value did not decrypt, is misshapen, or has a type beacons do not cover. Nothing is written for them. */
  uncheckable: Partial<Record<EncryptionErrorCode, number>>;
  /** Beacons this run wrote (missing or stale ones; with `dryRun`: would write). */
  written: number;
  /** Orphaned beacons this run removed (with `dryRun`: would remove). */
  removed: number;
  /**
   * `migrate`: missing or stale beacons of plaintext values left unwritten
   * because the field does not allow plaintext and the run does not encrypt
   * the value (`plaintext` not in `only`): a lookup meeting such an item would
   * fail for readers. They are written with the value's encryption.
   */
  deferred: number;
  /** Per composite attribute of the field (a beacon's `composites`), counted only for items whose value the pattern matches. */
  composites?: Record<string, CompositeCounts>;
}

/** Counts of one composite attribute (see `CompositeState`). */
export interface CompositeCounts {
  /** The captured text is the field's beacon. */
  current: number;
  /** The captured text is anything else (the plaintext, or an old beacon): lookups miss the item, and a plaintext copy is stored. */
  stale: number;
  /** The field's value is unknown (absent, undecryptable, not a string), or the value is too long for the pattern: nothing is written. */
  uncheckable: number;
  /** Composites this run rewrote (with `dryRun`: would rewrite). */
  written: number;
}

/** A key that values are under, with how many (see `keys`). */
export interface KeyCount {
  /** The configured key id that opens the values: a field's `keyId` or one of its `decryptOnlyKeyIds`. */
  keyId: string;
  /** True when some field writes with this key now; false for a key only read (retired). */
  current: boolean;
  values: number;
  /** Values per field path. */
  fields: Record<string, number>;
}

/** An item named by its key attributes (DynamoDB JSON), with the field and why; never a value. */
export interface ItemProblem {
  key: WireItem;
  field?: string;
  /** For a copy (`plaintext.copied`): the unencrypted attribute that holds the field's plaintext. */
  attribute?: string;
  code: string;
  message?: string;
}

/** The result of `verifyTable`, `migrateTable` or `listKeys`; printed by the CLI with `--json`. */
export interface MigrationReport {
  command: "verify" | "migrate" | "keys";
  table: string;
  /**
   * `ok`: every value in scope is in its target state (migrate: every value
   * that needed it was rewritten); `notCurrent`: the run finished but values
   * are not (plaintext, non-current, undecryptable, or with `dryRun` values to
   * rewrite); `failed`: a failure stopped the run, or items failed;
   * `interrupted`: stopped by a signal. A checkpoint is kept for the last two.
   */
  status: "ok" | "notCurrent" | "failed" | "interrupted";
  dryRun: boolean;
  /** The rewrites in scope (`--only`). */
  only: RewriteKind[];
  /** Segments of the scan, and those this run finished. */
  segments: { total: number; finished: number[] };
  /** True when `sample` limited the scan. */
  sampled: boolean;
  items: {
    scanned: number;
    /** Items written (with `dryRun`: that would be). */
    rewritten: number;
    /** Items with nothing to rewrite: every value in scope current (or missing). */
    current: number;
    /** `verify`/`keys`: items with values or beacons to rewrite (within `only`); `migrate`: items left with beacons deferred until their values are encrypted. */
    notCurrent: number;
    /** Conditional writes that failed because the application wrote first. */
    conflicts: number;
    /** Items that could not be rewritten (encrypting failed, or conflicts outlasted the retries). */
    failed: number;
    /** Items holding an undecryptable or misshapen value, left as they are (their other fields may have been rewritten). */
    skipped: number;
    /** `verify`: items whose unencrypted attributes hold a copy of an encrypted field's plaintext (listed in `copies`). */
    copies?: number;
  };
  fields: Record<string, FieldCounts>;
  keys: KeyCount[];
  /** The first undecryptable or misshapen values, by item key and field (never values). */
  undecryptable: ItemProblem[];
  /** The first failed items. */
  failures: ItemProblem[];
  /**
   * `verify`: the first items whose unencrypted attributes hold a copy of an
   * encrypted field's plaintext (`code: "plaintext.copied"`), by key,
   * attribute and field, never the value. Such items make the status
   * `notCurrent`. Absent for `migrate` and `keys`.
   */
  copies?: ItemProblem[];
  /** Remarks that qualify the counts, such as a resumed checkpoint whose earlier pages held values not current. */
  notes: string[];
  /** What stopped the run, when something did. */
  error?: { code: string | undefined; message: string };
  elapsedMs: number;
}

/** How many problems a report lists by key; the counts cover all. */
export const MAX_LISTED = 100;

function emptyBeaconCounts(attribute: string): BeaconCounts {
  return {
    attribute,
    current: 0,
    missing: 0,
    stale: 0,
    orphan: 0,
    absent: 0,
    uncheckable: {},
    written: 0,
    removed: 0,
    deferred: 0,
  };
}

/** Adds one item's beacon state to its field's counts (a value failure is already listed by key with the value's counts). */
function countBeacon(counts: FieldCounts, beacon: BeaconAnalysis): void {
  const b = (counts.beacons ??= emptyBeaconCounts(beacon.attribute));
  const { state } = beacon;
  if (state.kind === "uncheckable")
    b.uncheckable[state.code] = (b.uncheckable[state.code] ?? 0) + 1;
  else b[state.kind]++;
}

/** Adds one item's composite states to its field's counts. */
function countComposites(
  counts: FieldCounts,
  attribute: string,
  composites: readonly CompositeAnalysis[],
): void {
  const b = (counts.beacons ??= emptyBeaconCounts(attribute));
  for (const { attribute: name, state } of composites) {
    const c = ((b.composites ??= {})[name] ??= {
      current: 0,
      stale: 0,
      uncheckable: 0,
      written: 0,
    });
    c[state.kind]++;
  }
}

/** Beacons of the field that are not current (missing, stale, orphan), and stale composites; uncheckable ones count as bad, not here. */
export function beaconsToRepair(counts: FieldCounts): number {
  const b = counts.beacons;
  const composites = Object.values(b?.composites ?? {}).reduce((n, c) => n + c.stale, 0);
  return b ? b.missing + b.stale + b.orphan + composites : 0;
}

const total = (byCode: Partial<Record<string, number>>) =>
  Object.values(byCode).reduce<number>((sum, n) => sum + (n ?? 0), 0);

export function emptyFieldCounts(): FieldCounts {
  return {
    missing: 0,
    plaintext: 0,
    current: 0,
    notCurrent: { keys: 0, formats: 0 },
    encrypted: {},
    undecryptable: {},
    invalid: 0,
    rewritten: 0,
  };
}

/** Adds one page's analysis to the report's field and key counts. */
export function countPage(
  report: MigrationReport,
  page: readonly ItemAnalysis[],
  keyOf: (item: WireItem) => WireItem,
  currentKeys: ReadonlySet<string>,
): void {
  for (const { item, fields } of page) {
    for (const { target, states, beacon, composites } of fields) {
      const path = target.field.path;
      const counts = (report.fields[path] ??= emptyFieldCounts());
      if (beacon && composites) countComposites(counts, beacon.attribute, composites);
      if (beacon) {
        countBeacon(counts, beacon);
        // A value the beacon cannot be made of is listed here; undecryptable and misshapen values are listed below.
        if (
          beacon.state.kind === "uncheckable" &&
          beacon.state.code === "beacon.unsupportedValue" &&
          report.undecryptable.length < MAX_LISTED
        )
          report.undecryptable.push({ key: keyOf(item), field: path, code: beacon.state.code });
      }
      if (states.length === 0) counts.missing++;
      for (const state of states) {
        switch (state.kind) {
          case "plaintext":
            counts.plaintext++;
            break;
          case "invalid":
          case "undecryptable":
            if (state.kind === "invalid") counts.invalid++;
            else counts.undecryptable[state.code] = (counts.undecryptable[state.code] ?? 0) + 1;
            if (report.undecryptable.length < MAX_LISTED)
              report.undecryptable.push({ key: keyOf(item), field: path, code: state.code });
            break;
          default: {
            if (state.kind === "current") counts.current++;
            else {
              if (state.keys) counts.notCurrent.keys++;
              if (state.formats) counts.notCurrent.formats++;
            }
            const bucket = `${state.format}/${state.scheme}/${state.keyId}`;
            counts.encrypted[bucket] = (counts.encrypted[bucket] ?? 0) + 1;
            let key = report.keys.find((k) => k.keyId === state.keyId);
            if (!key)
              report.keys.push(
                (key = {
                  keyId: state.keyId,
                  current: currentKeys.has(state.keyId),
                  values: 0,
                  fields: {},
                }),
              );
            // A key chosen per item (per tenant) is current where its own items still write with it.
            if (state.kind === "current" || !state.keys) key.current = true;
            key.values++;
            key.fields[path] = (key.fields[path] ?? 0) + 1;
          }
        }
      }
    }
  }
}

/** Adds the undecryptable and misshapen values of an item found on a re-read (after a conflict) to the report. */
export function countBad(
  report: MigrationReport,
  analysis: ItemAnalysis,
  keyOf: (item: WireItem) => WireItem,
): void {
  for (const { target, states, beacon } of analysis.fields) {
    const path = target.field.path;
    const counts = (report.fields[path] ??= emptyFieldCounts());
    if (beacon?.state.kind === "uncheckable" && beacon.state.code === "beacon.unsupportedValue") {
      const b = (counts.beacons ??= emptyBeaconCounts(beacon.attribute));
      b.uncheckable[beacon.state.code] = (b.uncheckable[beacon.state.code] ?? 0) + 1;
      if (report.undecryptable.length < MAX_LISTED)
        report.undecryptable.push({
          key: keyOf(analysis.item),
          field: path,
          code: beacon.state.code,
        });
    }
    for (const state of states) {
      if (state.kind === "invalid") counts.invalid++;
      else if (state.kind === "undecryptable")
        counts.undecryptable[state.code] = (counts.undecryptable[state.code] ?? 0) + 1;
      else continue;
      if (report.undecryptable.length < MAX_LISTED)
        report.undecryptable.push({ key: keyOf(analysis.item), field: path, code: state.code });
    }
  }
}

/** True when some value in scope is not in its target state. */
export function hasValuesNotCurrent(report: MigrationReport, afterRewrite: boolean): boolean {
  return Object.values(report.fields).some((c) => {
    // A composite that cannot be checked may hold a plaintext the tools cannot replace: as bad as an undecryptable value.
    const composites = Object.values(c.beacons?.composites ?? {}).some((k) => k.uncheckable > 0);
    const bad =
      c.invalid > 0 ||
      total(c.undecryptable) > 0 ||
      total(c.beacons?.uncheckable ?? {}) > 0 ||
      composites;
    if (afterRewrite) return bad;
    const pending =
      (report.only.includes("plaintext") ? c.plaintext : 0) +
      (report.only.includes("keys") ? c.notCurrent.keys : 0) +
      (report.only.includes("formats") ? c.notCurrent.formats : 0) +
      (report.only.includes("beacons") ? beaconsToRepair(c) : 0);
    return bad || pending > 0;
  });
}
