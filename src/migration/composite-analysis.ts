import type { BeaconField } from "../beacons/beacon-keyring";
import { fieldValue, isNoValue } from "../beacons/beacon-writes";
import { matchComposite } from "../beacons/composite-values";
import type { ResolvedTable } from "../config/resolved-config";
import type { WireItem } from "../format/wire";
import type { CompositeAnalysis } from "./beacon-state";
import type { FieldAnalysis } from "./page-analysis";

/**
 * Classifies the composite attributes of one beaconed field of one item (see
 * {@link CompositeState}). Only values the pattern matches are the field's;
 * one the pattern cannot run on (over 2,048 characters) is uncheckable. The
 * beacon comes from `beaconOf`, as for the field's own beacon attribute.
 */
export function classifyComposites(
  table: ResolvedTable,
  item: WireItem,
  f: FieldAnalysis,
  field: BeaconField,
  beaconOf: (value: unknown) => string,
): CompositeAnalysis[] {
  const found: CompositeAnalysis[] = [];
  for (const { attribute } of field.beacon.composites) {
    const binding = table.compositeAttributes.get(attribute);
    const stored = item[attribute];
    if (!binding || stored === undefined) continue;
    let match;
    try {
      match = matchComposite(table, binding, stored);
    } catch {
      found.push({ attribute, stored, state: { kind: "uncheckable" } });
      continue;
    }
    if (!match) continue;
    const unreadable = f.states.some((s) => s.kind === "undecryptable" || s.kind === "invalid");
    const value = f.states.length === 0 ? undefined : fieldValue(f.decrypted ?? item, field);
    let beacon: string | undefined;
    if (!unreadable && !isNoValue(value))
      try {
        beacon = beaconOf(value);
      } catch {
        beacon = undefined;
      }
    if (beacon === undefined) found.push({ attribute, stored, state: { kind: "uncheckable" } });
    else if (match.captured === beacon)
      found.push({ attribute, stored, state: { kind: "current" } });
    else
      found.push({
        attribute,
        stored,
        state: {
          kind: "stale",
          beacon,
          text: `${match.text.slice(0, match.start)}${beacon}${match.text.slice(match.end)}`,
        },
      });
  }
  return found;
}
