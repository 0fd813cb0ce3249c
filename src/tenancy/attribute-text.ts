import { EncryptionError } from "../errors/encryption-error";

/** A compiled {@link AttributeSource}: the attribute and its pattern, if any. */
export interface CompiledSource {
  readonly attribute: string;
  readonly pattern: RegExp | undefined;
}

/** Where a tenant error happened. */
export interface TenantLocation {
  table: string;
  field: string;
}

/** Reads an attribute of the item (or of what the request says about it); undefined when absent. */
export type AttributeLookup = (name: string) => unknown;

// No "-0": DynamoDB stores it as 0, so a value bound to "-0" would never be read back.
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
/** The longest text a pattern runs on: DynamoDB's partition key limit; longer values are refused, not searched. */
export const MAX_PATTERN_INPUT = 2048;

/**
 * The text of one attribute as a tenant value: a string, or a number written
 * as a plain integer. Anything else cannot choose a key unambiguously
 * (`1e2` and `100` are one number but would be two tenants).
 */
export function attributeText(lookup: AttributeLookup, name: string, at: TenantLocation): string {
  const value = lookup(name) as { S?: unknown; N?: unknown } | undefined;
  if (value === undefined || value === null) {
    throw new EncryptionError(
      "tenant.attributeMissing",
      `"${at.field}" has its KMS key or encryption context chosen by the attribute "${name}", which the item (or the request's Key and values) does not give. Nothing was sent or decrypted.`,
      at,
    );
  }
  if (typeof value === "object" && Object.keys(value).length === 1) {
    if (typeof value.S === "string" && value.S.isWellFormed()) return value.S;
    if (typeof value.N === "string" && INTEGER.test(value.N)) return value.N;
  }
  throw new EncryptionError(
    "tenant.attributeInvalid",
    `"${at.field}" has its KMS key or encryption context chosen by the attribute "${name}", which must be a string or an integer number (N written without exponent or fraction).`,
    at,
  );
}

/** The value a source stands for: the attribute's text, or its pattern's one capture group. Never empty. */
export function sourceText(
  lookup: AttributeLookup,
  source: CompiledSource,
  at: TenantLocation,
): string {
  const text = attributeText(lookup, source.attribute, at);
  let value = text;
  if (source.pattern) {
    // Precondition: a pattern runs on at most 2,048 characters, so no stored value can make it search for long.
    if (text.length > MAX_PATTERN_INPUT)
      throw new EncryptionError(
        "tenant.attributeInvalid",
        `"${at.field}" takes its tenant from the attribute "${source.attribute}" with a pattern, which runs on at most ${MAX_PATTERN_INPUT} characters; this value is longer.`,
        at,
      );
    const match = source.pattern.exec(text);
    if (!match || match[1] === undefined) {
      throw new EncryptionError(
        "tenant.attributeInvalid",
        `"${at.field}" takes its tenant from the attribute "${source.attribute}" with the pattern ${String(source.pattern)}, which this item's value does not match.`,
        at,
      );
    }
    value = match[1];
  }
  // Precondition: an empty tenant value would be one bucket shared by every malformed item.
  if (value === "") {
    throw new EncryptionError(
      "tenant.attributeInvalid",
      `"${at.field}" takes its tenant from the attribute "${source.attribute}", which gives an empty value here.`,
      at,
    );
  }
  return value;
}
