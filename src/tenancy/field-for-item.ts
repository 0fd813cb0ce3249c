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
  return tenancy.forItem(
    (name) =>
      own(item, name) ? item[name] : fallback && own(fallback, name) ? fallback[name] : undefined,
    table.name,
  );
}
