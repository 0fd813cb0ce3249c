import type { PathSegment } from "../config/field-path";
import type { ResolvedField } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import type { BeaconNormalization } from "./beacon-options";
import type { ResolvedBeacon, ResolvedBeaconKey } from "./resolved-beacon";
import { resolveComposites } from "./resolve-composites";

const BEACON_KEYS = new Set(["length", "normalize", "attribute", "index", "composites"]);
const NORMALIZATIONS: readonly BeaconNormalization[] = ["trim", "lowercase"];

function fail(where: string, message: string): never {
  throw new EncryptionError("config.invalid", `${where}: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The beacon attribute a field gets by default: its path with `.` as `_`, then `__beacon`. */
export function defaultBeaconAttribute(segments: readonly PathSegment[]): string {
  return `${segments.map((s) => (s.kind === "attr" ? s.name : "")).join("_")}__beacon`;
}

/**
 * Validates a field's `beacon` option (`where` is its config location, such
 * as `tables.Users.fields.email.beacon`). Beacons on fields inside list
 * elements are refused: one item would need one beacon per element.
 */
export function resolveBeacon(
  input: unknown,
  segments: readonly PathSegment[],
  where: string,
): ResolvedBeacon | undefined {
  if (input === undefined) return undefined;
  if (!isPlainObject(input)) fail(where, "expected an object such as { length: 16 }");
  for (const key of Object.keys(input))
    if (!BEACON_KEYS.has(key))
      fail(`${where}.${key}`, `unknown option; expected one of ${[...BEACON_KEYS].join(", ")}`);
  const { length, normalize, attribute, index, composites } = input;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 1 || length > 256)
    fail(
      `${where}.length`,
      `expected an integer number of bits from 1 to 256, got ${JSON.stringify(length)}`,
    );
  const asked = normalize === undefined ? [] : Array.isArray(normalize) ? normalize : [normalize];
  for (const n of asked as unknown[])
    if (!NORMALIZATIONS.includes(n as BeaconNormalization))
      fail(`${where}.normalize`, `expected "lowercase", "trim" or both, got ${JSON.stringify(n)}`);
  if (attribute !== undefined && (typeof attribute !== "string" || attribute === ""))
    fail(`${where}.attribute`, "expected a non-empty top-level attribute name");
  if (index !== undefined && (typeof index !== "string" || !/^[a-zA-Z0-9_.-]{3,255}$/.test(index)))
    fail(`${where}.index`, "expected a global secondary index name");
  if (segments.some((s) => s.kind === "each"))
    fail(
      where,
      "beacons on fields inside list elements are not supported: an item would need one beacon per element, and a GSI key holds one value",
    );
  return Object.freeze({
    length,
    normalize: Object.freeze(NORMALIZATIONS.filter((n) => asked.includes(n))),
    attribute: attribute ?? defaultBeaconAttribute(segments),
    index: index,
    composites: resolveComposites(composites, `${where}.composites`),
  });
}

/** Validates the top-level `beaconKey` option. */
export function resolveBeaconKey(input: unknown): ResolvedBeaconKey | undefined {
  if (input === undefined) return undefined;
  const where = "config.beaconKey";
  if (!isPlainObject(input))
    fail(where, 'expected { keyId, wrapped }, as "keygen --key-id <kms key>" prints it');
  for (const key of Object.keys(input))
    if (key !== "keyId" && key !== "wrapped")
      fail(`${where}.${key}`, "unknown option; expected one of keyId, wrapped");
  const { keyId, wrapped } = input;
  if (typeof keyId !== "string" || keyId.trim() === "")
    fail(`${where}.keyId`, "expected the KMS key that wrapped the beacon key");
  if (typeof wrapped !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(wrapped))
    fail(`${where}.wrapped`, "expected the wrapped key as base64");
  return Object.freeze({ keyId, wrapped: Buffer.from(wrapped, "base64") });
}

/**
 * Checks a table's beacon attributes and maps each to its field: they must be
 * distinct, and neither a key attribute nor an attribute that holds an
 * encrypted field (a beacon is written in plaintext beside the ciphertext).
 */
export function checkTableBeacons(
  fields: readonly ResolvedField[],
  partitionKey: string,
  sortKey: string | undefined,
  where: string,
): ReadonlyMap<string, ResolvedField> {
  const roots = new Set(fields.map((f) => (f.segments[0] as { name: string }).name));
  const tenantAttributes = new Set(fields.flatMap((f) => f.tenancy?.attributes ?? []));
  const byAttribute = new Map<string, ResolvedField>();
  for (const field of fields) {
    if (!field.beacon) continue;
    const attribute = field.beacon.attribute;
    const at = `${where}.fields${JSON.stringify([field.path])}.beacon.attribute`;
    if (attribute === partitionKey || attribute === sortKey)
      fail(at, `"${attribute}" is a key attribute of the table`);
    if (roots.has(attribute))
      fail(at, `"${attribute}" holds an encrypted field; a beacon needs its own attribute`);
    // Precondition: a beacon never overwrites an attribute that chooses a key or context; the item would then be encrypted for another tenant than the caller named.
    if (tenantAttributes.has(attribute))
      fail(at, `"${attribute}" chooses a field's key or context; a beacon needs its own attribute`);
    const other = byAttribute.get(attribute);
    if (other) fail(at, `"${attribute}" is also the beacon attribute of "${other.path}"`);
    byAttribute.set(attribute, field);
  }
  return byAttribute;
}
