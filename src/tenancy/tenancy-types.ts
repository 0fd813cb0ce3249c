/**
 * A string taken from one of the item's own top-level attributes, so that one
 * client can serve every tenant: the attribute's value (a string, or a number
 * as its canonical decimal text), or, with `pattern`, the text its one capture
 * group matches (`{ attribute: "pk", pattern: "^tenant#([^#]+)#" }` takes
 * `acme` from `tenant#acme#user#42`). Only key attributes and attributes that
 * are not encrypted can be used: the plugin must read them to choose the key
 * before it can decrypt anything.
 */
export interface AttributeSource {
  /** The top-level attribute that holds the value (a key attribute, or one that is not encrypted). */
  attribute: string;
  /**
   * A regular expression (JavaScript syntax, `u` flag) with exactly one capture
   * group; the group's text is the value. Anchor it (`^…`) so that only the
   * part of the attribute you mean can choose the tenant.
   */
  pattern?: string;
}

/**
 * One entry of an encryption context: a fixed string, or a string taken from
 * the item ({@link AttributeSource}). A context entry from the item makes KMS
 * (and every key policy with a `kms:EncryptionContext:` condition) see which
 * tenant a data key belongs to.
 */
export type ContextValue = string | AttributeSource;

/** An encryption context whose values are fixed or come from the item. */
export type ContextOption = Record<string, ContextValue>;

/**
 * The KMS key chosen from a map, by a value taken from the item: tenant to key
 * ARN. A tenant missing from the map is `tenant.keyUnmapped` (nothing sent),
 * never a silent fallback, unless `default` is given.
 */
export interface KeyIdByAttribute extends AttributeSource {
  /** KMS key (key ARN, key ID, alias name or alias ARN) by tenant value. */
  keys: Record<string, string>;
  /** The key for tenants missing from `keys`. Without it a missing tenant is an error. */
  default?: string;
  /**
   * Retired keys a tenant's values are still read with, never written with,
   * by tenant value: after moving a tenant to a new key (its own key, say),
   * list the old one here until `migrate` has re-encrypted its values. A
   * tenant's values are decrypted only with its own key and these.
   */
  decryptOnlyKeyIds?: Record<string, readonly string[]>;
}

/** What a {@link KeyIdFromFunction} returns: a key, or a key with the retired keys it still reads. */
export type ChosenKey = string | { keyId: string; decryptOnlyKeyIds?: readonly string[] };

/**
 * The KMS key chosen by your own function of the item's attributes, for keys
 * looked up elsewhere. The function must be synchronous and pure: its result
 * is cached per distinct attribute values, so no I/O lands on the request
 * path. Returning `undefined` is `tenant.keyUnmapped`.
 */
export interface KeyIdFromFunction {
  /** The top-level attributes the function reads (key attributes, or ones that are not encrypted). */
  attributes: readonly string[];
  /** Chooses the key from those attributes' values (strings; numbers as decimal text). */
  choose: (values: Readonly<Record<string, string>>) => ChosenKey | undefined;
}

/** A field's KMS key: fixed, chosen from a map by tenant, or chosen by a function. */
export type KeyIdOption = string | KeyIdByAttribute | KeyIdFromFunction;
