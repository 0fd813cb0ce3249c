import type { ResolvedField } from "../config/resolved-config";
import { fail, isPlainObject, quote } from "../config/config-failure";
import { compileSource } from "../tenancy/resolve-tenancy";
import type { BeaconField } from "./beacon-keyring";
import type { ResolvedComposite } from "./resolved-beacon";

/** A composite attribute of a table: the beaconed field it embeds, and how. */
export interface CompositeBinding {
  readonly field: BeaconField;
  readonly composite: ResolvedComposite;
}

const COMPOSITE_KEYS = ["attribute", "pattern", "required"];

/**
 * The literal text a pattern's matches start with, up to its capture group:
 * `^\$app#email_(.+)$` gives `$app#email_`. Undefined when anything but
 * literal characters (or escaped punctuation) comes before the group, or the
 * pattern has an alternation anywhere: then the plugin cannot tell where the
 * embedded value starts without matching.
 */
export function literalPrefix(source: string): string | undefined {
  if (source.includes("|")) return undefined;
  let prefix = "";
  for (let i = 1; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      prefix += next;
      i++;
    } else if (c === "(") return source[i + 1] === "?" ? undefined : prefix;
    else if ("^$.*+?[]{})".includes(c)) return undefined;
    else prefix += c;
  }
  return undefined;
}

/**
 * Validates a beacon's `composites` option (`where` is its config location):
 * a list of `{ attribute, pattern }`, each pattern starting with `^` and with
 * exactly one capture group (the rules tenant patterns follow).
 */
export function resolveComposites(input: unknown, where: string): readonly ResolvedComposite[] {
  if (input === undefined) return Object.freeze([]);
  if (!Array.isArray(input))
    fail(
      where,
      'expected a list of { attribute, pattern }, such as [{ attribute: "gsi1pk", pattern: "^\\\\$app#email_(.+)$" }]',
    );
  return Object.freeze(
    (input as unknown[]).map((entry, i) => {
      const at = `${where}[${i}]`;
      if (!isPlainObject(entry)) fail(at, "expected { attribute, pattern }");
      for (const key of Object.keys(entry))
        if (!COMPOSITE_KEYS.includes(key))
          fail(
            `${at}${quote(key)}`,
            `unknown option; expected one of ${COMPOSITE_KEYS.join(", ")}`,
          );
      // Precondition: a pattern, anchored at the start, so that where the embedded value sits is never a guess.
      if (typeof entry.pattern !== "string" || !entry.pattern.startsWith("^"))
        fail(
          `${at}.pattern`,
          'expected a regular expression starting with "^" whose one capture group is the embedded value',
        );
      if (entry.required !== undefined && typeof entry.required !== "boolean")
        fail(`${at}.required`, "expected true or false");
      const { attribute, pattern } = compileSource(
        { attribute: entry.attribute, pattern: entry.pattern },
        at,
      );
      return Object.freeze({
        attribute,
        // The `d` flag gives the capture group's position, which the beacon replaces.
        pattern: new RegExp(pattern!.source, "du"),
        literalPrefix: literalPrefix(entry.pattern),
        required: entry.required === true,
      });
    }),
  );
}

/**
 * Checks a table's composite attributes and maps each to its field and
 * pattern. A composite may not be a key attribute of the table (a truncated
 * beacon there would give two values one primary key, so a Put of one would
 * overwrite the other's item), an attribute that holds an encrypted field, a
 * beacon attribute, an attribute that chooses a key or context, or claimed twice.
 */
export function checkTableComposites(
  fields: readonly ResolvedField[],
  table: {
    partitionKey: string;
    sortKey: string | undefined;
    tenantAttributes: readonly string[];
    beaconAttributes: ReadonlyMap<string, ResolvedField>;
  },
  where: string,
): ReadonlyMap<string, CompositeBinding> {
  const roots = new Set(fields.map((f) => (f.segments[0] as { name: string }).name));
  const byAttribute = new Map<string, CompositeBinding>();
  for (const field of fields) {
    const composites = field.beacon?.composites ?? [];
    composites.forEach((composite, i) => {
      const name = composite.attribute;
      const at = `${where}.fields${JSON.stringify([field.path])}.beacon.composites[${i}].attribute`;
      if (name === table.partitionKey || name === table.sortKey)
        fail(
          at,
          `"${name}" is a key attribute of the table: a truncated beacon there would give two values one primary key, and a Put of one would overwrite the other's item. Embed the field in a global secondary index key instead`,
        );
      if (roots.has(name)) fail(at, `"${name}" holds an encrypted field`);
      const beaconed = table.beaconAttributes.get(name);
      if (beaconed) fail(at, `"${name}" is the beacon attribute of "${beaconed.path}"`);
      if (table.tenantAttributes.includes(name))
        fail(at, `"${name}" chooses a KMS key or encryption context`);
      const other = byAttribute.get(name);
      if (other) fail(at, `"${name}" is also a composite of "${other.field.path}"`);
      byAttribute.set(name, Object.freeze({ field: field as BeaconField, composite }));
    });
  }
  return byAttribute;
}
