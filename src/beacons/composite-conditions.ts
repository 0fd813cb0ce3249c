import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { isObject } from "../format/wire";
import type { ConditionNode, OperandNode, ValueNode } from "../expressions/ast";
import { resolvePath } from "../expressions/field-relation";
import { tokenize } from "../partiql/lexer";
import type { BeaconRewriter } from "./beacon-rewriter";
import { matchKey } from "./beacon-match";
import {
  capturedValue,
  type CompositeMatch,
  matchComposite,
  reachesCapture,
} from "./composite-values";
import type { CompositeBinding } from "./resolve-composites";

/** How the clause being checked uses its terms (as condition-check.ts tells it). */
export interface CompositeClause {
  prop: string;
  kind: "key" | "filter" | "condition";
  countOnly: boolean;
}

function refuse(table: ResolvedTable, binding: CompositeBinding, why: string): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `${binding.composite.attribute} embeds the encrypted field "${binding.field.path}": ${why}. Nothing was sent.`,
    { table: table.name, field: binding.field.path },
  );
}

/**
 * The comparisons of one expression that involve a composite attribute. An
 * equality (`=`, `IN`) or `begins_with` against `:values` the pattern
 * matches becomes a comparison with the embedded text replaced by its
 * beacon, and returned items are checked after decrypting, as for a beacon
 * lookup. A comparison that would need the embedded plaintext (a range,
 * `contains`, `<>`, a prefix reaching into the embedded value, or a match
 * where removing false positives is unsound) is refused. Comparisons whose
 * values the pattern does not match are left alone: other entities of a
 * single-table design share the attribute.
 */
export class CompositeConditions {
  constructor(
    private readonly table: ResolvedTable,
    private readonly scope: Record<string, unknown>,
    private readonly clause: CompositeClause,
    private readonly rewriter: BeaconRewriter,
  ) {}

  private bindingOf(operand: OperandNode | undefined): CompositeBinding | undefined {
    if (operand?.kind !== "path") return undefined;
    const path = resolvePath(operand, this.scope.ExpressionAttributeNames);
    return path.length === 1 && typeof path[0] === "string"
      ? this.table.compositeAttributes.get(path[0])
      : undefined;
  }

  private valueOf(node: ValueNode): unknown {
    const values = this.scope.ExpressionAttributeValues;
    return isObject(values) ? values[node.name] : undefined;
  }

  /** Handles `node` when it compares a composite attribute; false when the generic checks should run. */
  visit(node: ConditionNode, conjunct: boolean): boolean {
    switch (node.kind) {
      case "compare": {
        const [binding, others] = this.bindingOf(node.left)
          ? [this.bindingOf(node.left)!, [node.right]]
          : [this.bindingOf(node.right), [node.left]];
        if (!binding) return false;
        if (node.operator === "=") return this.lookup(binding, others, conjunct, "=");
        return this.bounds(binding, others, `${node.operator} needs the embedded plaintext`);
      }
      case "in": {
        const binding = this.bindingOf(node.subject);
        return binding ? this.lookup(binding, node.list, conjunct, "IN") : false;
      }
      case "between": {
        const binding = this.bindingOf(node.subject);
        if (binding && this.range(binding, node.low, node.high, conjunct)) return true;
        return binding
          ? this.bounds(binding, [node.low, node.high], "BETWEEN needs the embedded plaintext")
          : false;
      }
      case "function": {
        const { name, args } = node.call;
        const binding = this.bindingOf(args[0]);
        if (!binding) return false;
        if (name === "begins_with")
          return this.lookup(binding, args.slice(1), conjunct, "begins_with");
        if (name === "contains" && args.slice(1).some((a) => a.kind === "value"))
          throw refuse(
            this.table,
            binding,
            "contains could find any part of the embedded plaintext",
          );
        return false;
      }
      default:
        return false;
    }
  }

  /** A range or `<>` bound: refused when a `:value` embeds the field or reaches into where it is embedded. */
  private bounds(
    binding: CompositeBinding,
    operands: readonly OperandNode[],
    why: string,
  ): boolean {
    for (const operand of operands) {
      if (operand.kind !== "value") continue;
      const value = this.valueOf(operand);
      if (matchComposite(this.table, binding, value) || reachesCapture(binding, value))
        throw refuse(this.table, binding, why);
    }
    return false;
  }

  /** `=`, `IN` or `begins_with` against `operands`: rewritten when the pattern matches each :value. */
  private lookup(
    binding: CompositeBinding,
    operands: readonly OperandNode[],
    conjunct: boolean,
    operator: string,
  ): boolean {
    if (!operands.every((o) => o.kind === "value")) return false;
    const searched: { node: ValueNode; match: CompositeMatch }[] = [];
    let unmatched = false;
    for (const node of operands as ValueNode[]) {
      const value = this.valueOf(node);
      const match = matchComposite(this.table, binding, value);
      // A begins_with is a prefix search: rewritten only when text follows the embedded value, so it is given whole.
      if (match && operator === "begins_with" && match.end === match.text.length)
        throw refuse(
          this.table,
          binding,
          "begins_with whose value ends inside the embedded value is a prefix search of the plaintext; give the whole embedded value and what follows it",
        );
      if (match) searched.push({ node, match });
      else {
        unmatched = true;
        // A value that runs past the literal prefix without matching would send part of the plaintext.
        if (reachesCapture(binding, value))
          throw refuse(
            this.table,
            binding,
            `${operator} with a value that reaches into the embedded value without matching the pattern needs the plaintext; give the whole embedded value`,
          );
      }
    }
    if (searched.length === 0) return false;
    if (unmatched)
      throw refuse(
        this.table,
        binding,
        `${operator} mixes values that embed the field with values that do not; split the request`,
      );
    return this.rewrite(binding, searched, conjunct, operator);
  }

  /**
   * `BETWEEN` whose bounds both embed the same value (equal after the
   * beacon's normalisation) after the same text, with text after it (as
   * ElectroDB's `between` on a sort key built from the field, then another
   * attribute, sends it): every value between such bounds embeds that value,
   * so both get its beacon and the range stays exact once false positives
   * are removed. False for any other BETWEEN.
   */
  private range(
    binding: CompositeBinding,
    low: OperandNode,
    high: OperandNode,
    conjunct: boolean,
  ): boolean {
    if (low.kind !== "value" || high.kind !== "value") return false;
    const a = matchComposite(this.table, binding, this.valueOf(low));
    const b = matchComposite(this.table, binding, this.valueOf(high));
    if (!a || !b) return false;
    const same =
      a.text.slice(0, a.start) === b.text.slice(0, b.start) &&
      a.end < a.text.length &&
      b.end < b.text.length &&
      matchKey(this.table, binding.field, capturedValue(a)) ===
        matchKey(this.table, binding.field, capturedValue(b));
    if (!same) return false;
    return this.rewrite(
      binding,
      [
        { node: low, match: a },
        { node: high, match: b },
      ],
      conjunct,
      "BETWEEN",
    );
  }

  /** Rewrites `searched` to the beacon where removing false positives (or an exact beacon) makes it sound; refuses otherwise. */
  private rewrite(
    binding: CompositeBinding,
    searched: readonly { node: ValueNode; match: CompositeMatch }[],
    conjunct: boolean,
    operator: string,
  ): boolean {
    const { length, normalize } = binding.field.beacon;
    const exact = length === 256 && normalize.length === 0;
    if (this.clause.kind === "condition" && !exact)
      throw new EncryptionError(
        "beacon.conditionNotExact",
        `${this.clause.prop} compares ${binding.composite.attribute}, which embeds the beacon of the encrypted field "${binding.field.path}": ${length < 256 ? `its ${length}-bit beacon can be shared by another value` : "its beacon is normalised"}, so the condition could pass wrongly. Nothing was sent.`,
        { table: this.table.name, field: binding.field.path },
      );
    const verify =
      conjunct &&
      this.clause.kind !== "condition" &&
      binding.field.mode !== "WriteOnly" &&
      !this.clause.countOnly;
    if (length < 256 && this.clause.kind !== "condition" && !verify)
      throw refuse(
        this.table,
        binding,
        !conjunct
          ? `${operator} must be joined to the rest of ${this.clause.prop} with AND only: items sharing its ${length}-bit beacon are removed after decrypting, which is sound only for such a term`
          : this.clause.countOnly
            ? `Select COUNT cannot be corrected for items sharing its ${length}-bit beacon`
            : `a WriteOnly client cannot remove the items sharing its ${length}-bit beacon`,
      );
    this.rewriter.rewriteComposite(this.clause.prop, binding, searched, verify);
    return true;
  }
}

/**
 * Legacy conditions (`KeyConditions`, `QueryFilter`, `ScanFilter`,
 * `Expected`) on composite attributes: refused when a value embeds the field
 * or reaches into where it is embedded (use the expression forms, which the
 * plugin rewrites).
 */
export function checkLegacyComposites(
  table: ResolvedTable,
  conditions: Record<string, unknown>,
  prop: string,
): void {
  for (const [name, condition] of Object.entries(conditions)) {
    const binding = table.compositeAttributes.get(name);
    if (!binding || !isObject(condition)) continue;
    const list: unknown[] = Array.isArray(condition.AttributeValueList)
      ? condition.AttributeValueList
      : [];
    for (const value of [condition.Value, ...list])
      if (matchComposite(table, binding, value) || reachesCapture(binding, value))
        throw refuse(
          table,
          binding,
          `the legacy ${prop} sends the embedded plaintext; use ${prop === "KeyConditions" ? "KeyConditionExpression" : "an expression"}, which the plugin rewrites to the beacon`,
        );
  }
}

/**
 * A PartiQL statement that names a composite attribute (as a name or a tuple
 * key): refused, since its literals and parameters would carry the embedded
 * plaintext and the plugin does not rewrite them. Statements that do not name
 * one pass (a whole-item `INSERT … VALUE ?` gets its composites as a Put does).
 */
export function checkStatementComposites(table: ResolvedTable, text: string): void {
  if (table.compositeAttributes.size === 0) return;
  const names = new Map([...table.compositeAttributes].map(([a, b]) => [a.toLowerCase(), b]));
  const tokens = tokenize(text);
  refuseRequiredStatementUpdate(table, tokens);
  for (const token of tokens) {
    if (token.kind !== "word" && token.kind !== "quoted" && token.kind !== "string") continue;
    const binding = names.get(token.text.toLowerCase());
    if (binding)
      throw refuse(
        table,
        binding,
        "a PartiQL statement that names it would send the embedded plaintext; use PutItem, UpdateItem or Query, which the plugin rewrites to the beacon",
      );
  }
}

/**
 * A PartiQL `UPDATE` that names a field whose composite is `required`:
 * refused, since the statement cannot set the composite too (naming it is
 * refused above), so the stored key would keep the old value's beacon. The
 * check is by name anywhere in the statement, which also refuses an UPDATE
 * that only compares the field: conservative, and UpdateItem does both.
 */
function refuseRequiredStatementUpdate(
  table: ResolvedTable,
  tokens: ReturnType<typeof tokenize>,
): void {
  const first = tokens[0];
  if (!first || first.kind !== "word" || first.text.toLowerCase() !== "update") return;
  for (const binding of table.compositeAttributes.values()) {
    if (!binding.composite.required) continue;
    const root = binding.field.path.split(/[.[]/)[0]!.toLowerCase();
    if (
      tokens.some(
        (t) => (t.kind === "word" || t.kind === "quoted") && t.text.toLowerCase() === root,
      )
    )
      throw new EncryptionError(
        "beacon.compositeMismatch",
        `A PartiQL UPDATE names the encrypted field "${binding.field.path}", whose composite "${binding.composite.attribute}" is required and cannot be set in a statement (composites[].required): use UpdateItem and set both. Nothing was sent.`,
        { table: table.name, field: binding.field.path },
      );
  }
}
