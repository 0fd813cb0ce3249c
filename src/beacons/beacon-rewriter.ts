import type { ResolvedTable } from "../config/resolved-config";
import { isObject } from "../format/wire";
import type { PathNode, ValueNode } from "../expressions/ast";
import { tokenize } from "../expressions/lexer";
import { pathSpan } from "../expressions/parser";
import { refuseUndefinedValue } from "../access/field-access";
import type { BeaconField } from "./beacon-keyring";
import { type BeaconMatch, matchKey } from "./beacon-match";
import type { BeaconWrite } from "./beacon-writes";
import type { TextEdit } from "./update-beacons";
import { type CompositeMatch, planCompositeLookup } from "./composite-values";
import type { CompositeBinding } from "./resolve-composites";

const EXPRESSION_PROPS = [
  "KeyConditionExpression",
  "FilterExpression",
  "ConditionExpression",
  "UpdateExpression",
  "ProjectionExpression",
];

function unique(taken: Record<string, unknown>, base: string): string {
  let name = base;
  for (let i = 1; name in taken; i++) name = `${base}_${i}`;
  return name;
}

/**
 * Rewrites equalities on beaconed fields in one request scope's expressions
 * (on the plugin's copy): `email = :e` becomes `#dfe_b = :dfe_b`, naming the
 * beacon attribute and holding the beacon of `:e`. Placeholders the rewrite
 * leaves unused are dropped (DynamoDB refuses unused ones), so the searched
 * plaintext is not sent. Equalities whose items may be dropped (`verify`) are
 * kept as {@link BeaconMatch}es, to remove false positives (and items with a
 * stale beacon) after decrypting.
 */
export class BeaconRewriter {
  readonly matches: BeaconMatch[] = [];
  private readonly edits = new Map<string, TextEdit[]>();
  private readonly displacedNames = new Set<string>();
  private readonly displacedValues = new Set<string>();
  private names: Record<string, unknown> | undefined;
  private values: Record<string, unknown> | undefined;

  constructor(
    private readonly table: ResolvedTable,
    private readonly scope: Record<string, unknown>,
    private readonly writes: BeaconWrite[],
  ) {}

  /** The scope's own maps (the plugin's parsed copy of the request), so later planners see and keep what this adds. */
  private copies() {
    if (!isObject(this.scope.ExpressionAttributeNames)) this.scope.ExpressionAttributeNames = {};
    if (!isObject(this.scope.ExpressionAttributeValues)) this.scope.ExpressionAttributeValues = {};
    this.names = this.scope.ExpressionAttributeNames as Record<string, unknown>;
    this.values = this.scope.ExpressionAttributeValues as Record<string, unknown>;
    return { names: this.names, values: this.values };
  }

  /** Rewrites `path = :v` / `path IN (:a, …)` in `scope[prop]` (parsed from `expression`) to the field's beacon. */
  rewrite(
    prop: string,
    field: BeaconField,
    path: PathNode,
    searched: readonly ValueNode[],
    verify: boolean,
  ): void {
    const { names, values } = this.copies();
    const span = pathSpan(path);
    if (!span) throw new Error("BeaconRewriter: a path without a span");
    const edits = this.edits.get(prop) ?? [];
    this.edits.set(prop, edits);
    const name = unique(names, "#dfe_b");
    names[name] = field.beacon.attribute;
    edits.push({ ...span, text: name });
    for (const step of path.steps)
      if (step.kind === "placeholder") this.displacedNames.add(step.text);
    const accepted = new Set<string>();
    for (const node of searched) {
      const plaintext = values[node.name];
      if (plaintext === undefined) throw refuseUndefinedValue(this.table, node.name);
      accepted.add(matchKey(this.table, field, plaintext));
      const placeholder = unique(values, ":dfe_b");
      values[placeholder] = { S: "" };
      this.writes.push({
        table: this.table,
        field,
        value: plaintext,
        holder: values,
        prop: placeholder,
      });
      edits.push({ start: node.start, end: node.end, text: placeholder });
      this.displacedValues.add(node.name);
    }
    if (verify) this.matches.push({ field, accepted });
  }

  /**
   * The `:value`s (in `scope[prop]`) that a composite attribute is compared
   * with, each with the embedded text its match found: each moves to a new
   * placeholder holding the text with the beacon in place of the embedded
   * value; the path stays. `verify` keeps the embedded values, to remove
   * false positives after decrypting.
   */
  rewriteComposite(
    prop: string,
    binding: CompositeBinding,
    searched: readonly { node: ValueNode; match: CompositeMatch }[],
    verify: boolean,
  ): void {
    const { values } = this.copies();
    const edits = this.edits.get(prop) ?? [];
    this.edits.set(prop, edits);
    const accepted = new Set<string>();
    for (const { node, match } of searched) {
      const placeholder = unique(values, ":dfe_c");
      values[placeholder] = { S: "" };
      accepted.add(
        planCompositeLookup(this.table, binding, match, values, placeholder, this.writes),
      );
      edits.push({ start: node.start, end: node.end, text: placeholder });
      this.displacedValues.add(node.name);
    }
    if (verify) this.matches.push({ field: binding.field, accepted });
  }

  /** Applies the rewrites of `scope[prop]` and drops the placeholders no expression of the scope uses any more. */
  finish(prop: string): void {
    const edits = this.edits.get(prop);
    if (!edits || edits.length === 0) return;
    let text = this.scope[prop] as string;
    for (const e of [...edits].sort((a, b) => b.start - a.start))
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
    this.scope[prop] = text;
    this.edits.delete(prop);
    const used = new Set<string>();
    for (const p of EXPRESSION_PROPS) {
      const expression = this.scope[p];
      if (typeof expression !== "string") continue;
      for (const t of tokenize(expression, p))
        if (t.kind === "placeholder" || t.kind === "value") used.add(t.text);
    }
    const { names, values } = this.copies();
    for (const n of this.displacedNames) if (!used.has(n)) delete names[n];
    for (const v of this.displacedValues) if (!used.has(v)) delete values[v];
    // DynamoDB refuses empty maps as it refuses unused entries.
    for (const [prop, map] of [
      ["ExpressionAttributeNames", names],
      ["ExpressionAttributeValues", values],
    ] as const) {
      if (Object.keys(map).length > 0) this.scope[prop] = map;
      else delete this.scope[prop];
    }
  }
}
