import type { EncryptionContext } from "../config/config-types";
import type { ResolvedField } from "../config/resolved-config";
import { fail, isPlainObject, quote } from "../config/config-failure";
import type { CompiledSource } from "./attribute-text";
import { FieldTenancy, type KeyChoice } from "./field-tenancy";
import { checkBacktracking } from "./pattern-safety";
import type {
  ContextValue,
  KeyIdByAttribute,
  KeyIdFromFunction,
  KeyIdOption,
} from "./tenancy-types";

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const SOURCE_KEYS = ["attribute", "pattern"];
const MAP_KEYS = [...SOURCE_KEYS, "keys", "default", "decryptOnlyKeyIds"];
const FUNCTION_KEYS = ["attributes", "choose"];

function checkOnly(
  value: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key))
      fail(`${where}${quote(key)}`, `unknown option; expected one of ${allowed.join(", ")}`);
}

function keyIdentifier(value: unknown, where: string): string {
  if (typeof value !== "string" || value.trim() === "")
    fail(where, "expected a non-empty string (key ID, key ARN, alias name or alias ARN)");
  return value;
}

function attributeName(value: unknown, where: string): string {
  if (typeof value !== "string" || value === "")
    fail(where, "expected the name of a top-level attribute");
  return value;
}

/** Validates `{ attribute, pattern? }` and compiles its pattern (also the pattern of a beacon composite). */
export function compileSource(source: Record<string, unknown>, where: string): CompiledSource {
  const attribute = attributeName(source.attribute, `${where}.attribute`);
  if (source.pattern === undefined) return { attribute, pattern: undefined };
  if (typeof source.pattern !== "string" || source.pattern === "")
    fail(`${where}.pattern`, "expected a regular expression as a string");
  // Precondition: the pattern is anchored at the start, so only the leading part of the attribute (not text a user wrote further in) chooses the tenant.
  if (!source.pattern.startsWith("^"))
    fail(
      `${where}.pattern`,
      'must start with "^": only the start of the attribute may choose the tenant',
    );
  let pattern: RegExp;
  try {
    // Valid on its own first, so the wrapping below cannot close a group the pattern opened ("^x)|(…").
    new RegExp(source.pattern, "u");
    // Wrapped so that every alternative is anchored: "^x|tenant#(…)" must not match further in.
    pattern = new RegExp(`^(?:${source.pattern})`, "u");
  } catch {
    fail(`${where}.pattern`, "not a valid regular expression (JavaScript syntax, u flag)");
  }
  // Precondition: matching runs on every request, on values anyone who can write the table chose; a pattern that can backtrack catastrophically would let one value stall every reader.
  checkBacktracking(pattern, `${where}.pattern`);
  // An alternative that matches the empty string makes exec return one entry per group.
  const groups = new RegExp(`${source.pattern}|`, "u").exec("")!.length - 1;
  // Precondition: exactly one capture group, whose text is the value; with none or several it would be ambiguous which part chooses the tenant.
  if (groups !== 1)
    fail(
      `${where}.pattern`,
      `expected exactly one capture group (the part that is the value), got ${groups}; use (?:…) for other groups`,
    );
  return { attribute, pattern };
}

/** Checks one context entry: a string, or `{ attribute, pattern? }`. */
export function checkContextValue(value: unknown, where: string): void {
  if (typeof value === "string") return;
  if (!isPlainObject(value))
    fail(where, `expected a string or { attribute, pattern? }, got ${typeof value}`);
  checkOnly(value, SOURCE_KEYS, where);
  compileSource(value, where);
}

function isFunctionForm(value: Record<string, unknown>): boolean {
  return own(value, "choose") || own(value, "attributes");
}

/** Checks a keyId option: a key identifier, a map by tenant, or a key function. */
export function checkKeyIdOption(value: unknown, where: string): void {
  if (typeof value === "string") {
    keyIdentifier(value, where);
    return;
  }
  if (!isPlainObject(value))
    fail(
      where,
      "expected a non-empty string (key ID, key ARN, alias name or alias ARN), { attribute, pattern?, keys, default? } or { attributes, choose }",
    );
  if (isFunctionForm(value)) {
    checkOnly(value, FUNCTION_KEYS, where);
    const { attributes, choose } = value;
    if (!Array.isArray(attributes) || attributes.length === 0)
      fail(`${where}.attributes`, "expected a non-empty array of top-level attribute names");
    (attributes as unknown[]).forEach((a, i) => attributeName(a, `${where}.attributes[${i}]`));
    if (typeof choose !== "function") fail(`${where}.choose`, "expected a function");
    // Precondition: the key function is synchronous, so no I/O (a key lookup elsewhere) lands on the request path.
    if (choose.constructor.name === "AsyncFunction")
      fail(
        `${where}.choose`,
        "must be synchronous: look keys up ahead of time (or cache them) so no I/O lands on the request path",
      );
    return;
  }
  checkOnly(value, MAP_KEYS, where);
  compileSource(value, where);
  if (!isPlainObject(value.keys)) fail(`${where}.keys`, "expected an object of KMS keys by tenant");
  for (const [tenant, keyId] of Object.entries(value.keys))
    keyIdentifier(keyId, `${where}.keys${quote(tenant)}`);
  if (value.default !== undefined) keyIdentifier(value.default, `${where}.default`);
  if (value.decryptOnlyKeyIds !== undefined) {
    if (!isPlainObject(value.decryptOnlyKeyIds))
      fail(`${where}.decryptOnlyKeyIds`, "expected an object of key lists by tenant");
    for (const [tenant, ids] of Object.entries(value.decryptOnlyKeyIds)) {
      const at = `${where}.decryptOnlyKeyIds${quote(tenant)}`;
      if (!Array.isArray(ids)) fail(at, "expected an array of KMS key identifiers");
      (ids as unknown[]).forEach((id, i) => keyIdentifier(id, `${at}[${i}]`));
    }
  }
  if (Object.keys(value.keys).length === 0 && value.default === undefined)
    fail(`${where}.keys`, "maps no tenant and there is no default: every item would be refused");
}

/** An option and where it was defined, for error paths. */
export interface Located<T> {
  value: T;
  where: string;
}

/** What a field's keys and context resolve to. */
export interface FieldKeys {
  /** The fixed key, or "" when it is chosen per item. */
  keyId: string;
  /** The fixed context entries. */
  context: EncryptionContext;
  /** The keys that may unwrap the field's values, when they are fixed. */
  readKeyIds: readonly string[];
  /** For a field whose key or context comes from the item: makes its per-item part. */
  tenancy: ((template: ResolvedField) => FieldTenancy) | undefined;
}

/** The table facts a per-item source is checked against. */
export interface TableFacts {
  name: string;
  partitionKey: string;
  sortKey: string | undefined;
  /** Top-level attributes under which some field is encrypted. */
  encryptedRoots: ReadonlySet<string>;
}

/** Precondition: the attributes that choose keys are readable before anything is decrypted: key attributes, or attributes that are not encrypted. */
function checkReadable(name: string, table: TableFacts, where: string): void {
  if (name === table.partitionKey || name === table.sortKey) return;
  if (table.encryptedRoots.has(name))
    fail(
      where,
      `"${name}" is encrypted in table "${table.name}"; a key or context can only come from a key attribute or an attribute that is not encrypted`,
    );
}

/**
 * Resolves one field's KMS key, context and readable keys from the merged
 * options, and, when any of them comes from the item, how to choose them per
 * item. Checks, with the place each option was defined, that every attribute
 * used is readable before decrypting.
 */
export function resolveFieldKeys(
  keyId: Located<KeyIdOption> | undefined,
  context: readonly (readonly [string, Located<ContextValue>])[],
  decryptOnlyKeyIds: Located<readonly string[]> | undefined,
  table: TableFacts,
  fieldWhere: string,
  providerId: string,
): FieldKeys {
  if (keyId === undefined)
    fail(fieldWhere, "no KMS key: set keyId on the field, its table or the config");
  const fixed: EncryptionContext = {};
  const sources: [string, CompiledSource][] = [];
  for (const [name, { value, where }] of context) {
    if (typeof value === "string") fixed[name] = value;
    else {
      const source = compileSource(value as unknown as Record<string, unknown>, where);
      checkReadable(source.attribute, table, `${where}.attribute`);
      sources.push([name, source]);
    }
  }
  const decryptOnly = decryptOnlyKeyIds?.value ?? [];
  let choice: KeyChoice;
  if (typeof keyId.value === "string") {
    choice = {
      kind: "fixed",
      keyId: keyId.value,
      decryptOnlyKeyIds: decryptOnly,
    };
  } else {
    // Precondition: a tenant's values are read only with its own key and its own retired keys, never with keys shared by every tenant.
    if (decryptOnly.length > 0)
      fail(
        decryptOnlyKeyIds!.where,
        `the keyId (${keyId.where}) is chosen per item, so retired keys are listed per tenant: in keyId.decryptOnlyKeyIds, or returned by the keyId function`,
      );
    const where = keyId.where;
    const option = keyId.value as unknown as Record<string, unknown>;
    if (isFunctionForm(option)) {
      const fn = keyId.value as KeyIdFromFunction;
      fn.attributes.forEach((a, i) => checkReadable(a, table, `${where}.attributes[${i}]`));
      choice = {
        kind: "function",
        attributes: Object.freeze([...fn.attributes]),
        choose: fn.choose,
      };
    } else {
      const map = keyId.value as KeyIdByAttribute;
      const source = compileSource(option, where);
      checkReadable(source.attribute, table, `${where}.attribute`);
      choice = {
        kind: "map",
        source,
        keys: new Map(Object.entries(map.keys)),
        fallback: map.default,
        decryptOnlyKeyIds: new Map(
          Object.entries(map.decryptOnlyKeyIds ?? {}).map(([t, ids]) => [
            t,
            Object.freeze([...ids]),
          ]),
        ),
      };
    }
  }
  // Precondition: tenants that share the default key are kept apart by their context, so the context carries the tenant the key map reads.
  if (
    choice.kind === "map" &&
    choice.fallback !== undefined &&
    !sources.some(
      ([, s]) =>
        s.attribute === choice.source.attribute &&
        s.pattern?.source === choice.source.pattern?.source,
    )
  )
    fail(
      `${keyId.where}.default`,
      `every tenant without its own key shares this one, so the context must carry the tenant: add a context entry { attribute: "${choice.source.attribute}"${choice.source.pattern ? ", pattern: <the same pattern>" : ""} }`,
    );
  const frozen = Object.freeze(fixed);
  const perItem = sources.length > 0 || choice.kind !== "fixed";
  return {
    keyId: choice.kind === "fixed" ? choice.keyId : "",
    context: frozen,
    readKeyIds:
      choice.kind === "fixed" ? [...new Set([choice.keyId, ...choice.decryptOnlyKeyIds])] : [],
    tenancy: perItem
      ? (template) => new FieldTenancy(template, providerId, choice, frozen, Object.freeze(sources))
      : undefined,
  };
}
