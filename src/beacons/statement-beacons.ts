import type { ResolvedTable } from "../config/resolved-config";
import { refuseBeaconWriteBack } from "../access/field-access";
import { parseStatement, type Span } from "../partiql/parser";
import {
  applyStatementEdits,
  quoteName,
  quoteString,
  type StatementEdit,
} from "../partiql/statement-text";
import { type BeaconField, beaconSource } from "./beacon-keyring";
import { type BeaconMatch, matchKey } from "./beacon-match";
import { type BeaconWrite, isNoValue, type WrittenBack } from "./beacon-writes";

/** An edit whose text is known once the beacons are computed. */
interface PendingEdit {
  start: number;
  end: number;
  text: () => string;
}

/**
 * Keeps the beacons of one PartiQL statement in step with its fields by
 * rewriting the statement's text (on the plugin's copy of the request):
 *
 * - a WHERE equality `field = ?` / `field IN [?, …]` becomes
 *   `"beacon_attribute" = 'beacon'`, and the parameters that held the searched
 *   plaintext are dropped from `Parameters`;
 * - an INSERT tuple gets `'beacon_attribute': 'beacon'` for each beaconed
 *   field it writes;
 * - an UPDATE gets `SET "beacon_attribute" = 'beacon'` for each beaconed field
 *   it sets, and `REMOVE "beacon_attribute"` for each it removes or sets to
 *   NULL (or replaces the map of without it).
 *
 * Beacons go into the text as string literals, not as new `?` parameters:
 * a beacon is not secret from whoever can read the table (it is stored there
 * in plaintext), a literal needs no renumbering of the parameters that follow
 * it, and a hex literal has no character that needs quoting. The rewritten
 * text is proved to read as the original plus these substitutions
 * ({@link applyStatementEdits}) and to hold one `?` per remaining parameter.
 */
export class StatementBeacons {
  /** Equalities rewritten to beacons that returned items must match once decrypted. */
  readonly matches: BeaconMatch[] = [];
  private readonly edits: PendingEdit[] = [];
  private readonly dropped = new Set<number>();
  private readonly sets: { attribute: string; beacon: () => string }[] = [];
  private readonly removes = new Set<string>();

  constructor(
    private readonly table: ResolvedTable,
    private readonly writes: BeaconWrite[],
    private readonly writtenBack: WrittenBack,
  ) {}

  /** Whether the statement needs rewriting. */
  get changed(): boolean {
    return this.edits.length > 0 || this.sets.length > 0 || this.removes.size > 0;
  }

  /** The beacon of `plaintext`, known once the planned writes are computed (before encrypting). */
  private beaconOf(field: BeaconField, plaintext: unknown): () => string {
    beaconSource(this.table, field, plaintext);
    const holder: Record<string, unknown> = {};
    this.writes.push({ table: this.table, field, value: plaintext, holder, prop: "beacon" });
    return () => (holder.beacon as { S: string }).S;
  }

  /**
   * `path = ?` or `path IN [?, …]` in a WHERE clause: the path (at `path`) is
   * replaced by the beacon attribute, and each searched `?` by the beacon of
   * its parameter, which is then not sent. `verify` keeps the equality to
   * remove false positives after decrypting.
   */
  search(
    field: BeaconField,
    path: Span,
    searched: readonly { index: number; span: Span; value: unknown }[],
    verify: boolean,
  ): void {
    this.edits.push({ ...path, text: () => quoteName(field.beacon.attribute) });
    const accepted = new Set<string>();
    for (const { index, span, value } of searched) {
      accepted.add(matchKey(this.table, field, value));
      const beacon = this.beaconOf(field, value);
      this.edits.push({ ...span, text: () => quoteString(beacon()) });
      this.dropped.add(index);
    }
    if (verify) this.matches.push({ field, accepted });
  }

  /** Adds `attributes` to a SELECT list that ends at `end`, so that returned items hold the fields checked after decrypting. */
  project(end: number, attributes: readonly string[]): void {
    const text = attributes.map((a) => `, ${quoteName(a)}`).join("");
    this.edits.push({ start: end, end, text: () => text });
  }

  /**
   * An INSERT tuple (its `}` at `close`, `empty` when it has no entries)
   * whose beaconed fields hold `values` (undefined or NULL: no value, so no
   * beacon). A WriteOnly client cannot insert a stored value it read back:
   * it cannot compute that value's beacon.
   */
  insertTuple(
    close: number,
    empty: boolean,
    values: readonly { field: BeaconField; value: unknown }[],
  ): void {
    const entries: { attribute: string; beacon: () => string }[] = [];
    for (const { field, value } of values) {
      if (isNoValue(value)) continue;
      if (field.mode === "WriteOnly" && this.writtenBack(field, value))
        throw refuseBeaconWriteBack(this.table, field.path);
      // ReadOnly fields are never written (the cipher refuses them), so they never get a beacon.
      if (field.mode === "ReadOnly") continue;
      entries.push({ attribute: field.beacon.attribute, beacon: this.beaconOf(field, value) });
    }
    if (entries.length === 0) return;
    this.edits.push({
      start: close,
      end: close,
      text: () =>
        entries
          .map(
            (e, i) =>
              `${i === 0 && empty ? "" : ", "}${quoteString(e.attribute)}: ${quoteString(e.beacon())}`,
          )
          .join(""),
    });
  }

  /**
   * UPDATE `SET` that writes `value` to a beaconed field (directly or in the
   * map that holds it): sets the beacon, or removes it when there is no value.
   * A WriteOnly client writing back the stored value it read leaves the
   * beacon as it is; a ReadOnly field gets none (its write is refused).
   */
  set(field: BeaconField, value: unknown): void {
    if (isNoValue(value)) this.removes.add(field.beacon.attribute);
    else if (field.mode === "WriteOnly" && this.writtenBack(field, value)) return;
    else if (field.mode !== "ReadOnly")
      this.sets.push({ attribute: field.beacon.attribute, beacon: this.beaconOf(field, value) });
  }

  /** UPDATE `REMOVE` of a beaconed field or a map that holds it: the beacon goes too. */
  remove(field: BeaconField): void {
    this.removes.add(field.beacon.attribute);
  }

  /**
   * The statement rewritten, with the parameters it still uses, once the
   * planned beacons are computed; `actionsEnd` is where an UPDATE's last
   * action ends, after which the beacon actions are added. Undefined when
   * the rewrite cannot be proved to keep the statement's meaning.
   */
  rewrite(
    text: string,
    params: readonly unknown[],
    actionsEnd: number | undefined,
  ): { text: string; params: unknown[] } | undefined {
    const edits: StatementEdit[] = this.edits.map((e) => ({
      start: e.start,
      end: e.end,
      text: e.text(),
    }));
    const actions = [
      ...this.sets.map((s) => ` SET ${quoteName(s.attribute)} = ${quoteString(s.beacon())}`),
      ...[...this.removes].map((a) => ` REMOVE ${quoteName(a)}`),
    ];
    if (actions.length > 0) {
      if (actionsEnd === undefined) return undefined;
      edits.push({ start: actionsEnd, end: actionsEnd, text: actions.join("") });
    }
    const rewritten = applyStatementEdits(text, edits);
    if (rewritten === undefined) return undefined;
    const kept = params.filter((_, i) => !this.dropped.has(i));
    // Precondition: one ? per parameter still sent (DynamoDB ignores extra ones, which would go out as they are).
    try {
      if (parseStatement(rewritten).placeholders !== kept.length) return undefined;
    } catch {
      return undefined;
    }
    return { text: rewritten, params: kept };
  }
}
