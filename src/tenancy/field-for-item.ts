import type { ResolvedField, ResolvedTable } from "../config/resolved-config";
import type { WireItem } from "../format/wire";

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The field as it applies to one item: itself when its key and context are
 * fixed, otherwise with the key and context the item's attributes choose
 * (read from the item, then from `fallback`: the request's `Key`, or what an
 * update or statement says about the item). Throws `tenant.*` when they do not
 * choose one.
 */
export function fieldForItem(
  table: ResolvedTable,
  field: ResolvedField,
  item: WireItem,
  fallback: WireItem | undefined,
): ResolvedField {
  const tenancy = field.tenancy;
  if (!tenancy) return field;
  const derived = tenancy.forItem(
    (name) =>
      own(item, name) ? item[name] : fallback && own(fallback, name) ? fallback[name] : undefined,
    table.name,
  );
  return withAccessOf(field, derived);
}

/** Derived fields with another field's access, by that field; so that each stays one object per tenant. */
const accessCopies = new WeakMap<ResolvedField, WeakMap<ResolvedField, ResolvedField>>();

/**
 * `derived` with the `mode` and `allowPlaintext` of `field`, the field the
 * caller holds. The tenancy derives from the field as configured; a caller
 * that holds a copy with other access (the migration tools read and write
 * every field in ReadWrite mode, plaintext allowed) must keep its own, or a
 * ReadOnly field could never be rewritten.
 */
function withAccessOf(field: ResolvedField, derived: ResolvedField): ResolvedField {
  if (derived.mode === field.mode && derived.allowPlaintext === field.allowPlaintext)
    return derived;
  let copies = accessCopies.get(field);
  if (!copies) accessCopies.set(field, (copies = new WeakMap()));
  let copy = copies.get(derived);
  if (!copy)
    copies.set(
      derived,
      (copy = Object.freeze({
        ...derived,
        mode: field.mode,
        allowPlaintext: field.allowPlaintext,
      })),
    );
  return copy;
}
