import { decryptCachePrefix, encryptCacheKey } from "../keys/cache-key";
import { canonicalContext } from "../util/canonical-context";
import type { KeyProvider } from "../keys/key-provider";
import { KmsKeyProvider } from "../keys/kms-key-provider";
import type { FieldEncryptionConfig, FieldPolicy, StoredFormat } from "./config-types";
import { ENCRYPTION_MODES, type EncryptionMode } from "./encryption-mode";
import { isPathPrefix, parseFieldPath } from "./field-path";
import { fail, isPlainObject, quote } from "./config-failure";
import {
  checkContextValue,
  checkKeyIdOption,
  type Located,
  resolveFieldKeys,
} from "../tenancy/resolve-tenancy";
import type { ContextValue, KeyIdOption } from "../tenancy/tenancy-types";
import { resolveFieldCopyGuard, resolveTopCopyGuard } from "../copy-guard/copy-guard-options";
import { checkTableBeacons, resolveBeacon, resolveBeaconKey } from "../beacons/resolve-beacon";
import { checkTableComposites } from "../beacons/resolve-composites";
import type { ResolvedConfig, ResolvedField, ResolvedTable } from "./resolved-config";

const POLICY_KEYS = [
  "keyId",
  "mode",
  "context",
  "allowPlaintext",
  "scheme",
  "format",
  "acceptFormats",
  "decryptOnlyKeyIds",
] as const;
const TOP_KEYS = new Set<string>([
  ...POLICY_KEYS,
  "region",
  "kmsClient",
  "keyProvider",
  "cache",
  "maxConcurrency",
  "maxKmsCallsPerRequest",
  "undecryptableItems",
  "onEvent",
  "beaconKey",
  "copyGuard",
  "tables",
]);
const TABLE_KEYS = new Set<string>([
  ...POLICY_KEYS,
  "partitionKey",
  "sortKey",
  "logicalName",
  "fields",
]);
const FIELD_KEYS = new Set<string>([...POLICY_KEYS, "beacon", "copyGuard"]);
const CACHE_KEYS = new Set(["maxAgeMs", "maxUses", "maxEntries"]);

export const CACHE_DEFAULTS = { maxAgeMs: 300_000, maxUses: 100_000, maxEntries: 1000 } as const;
export const DEFAULT_MAX_CONCURRENCY = 8;
/** NIST SP 800-38D: at most 2^32 AES-GCM invocations with random 96-bit IVs under one key. */
export const MAX_USES_LIMIT = 2 ** 32;
/** Default KMS calls per request: far above one per writer process and cache window in a page. */
export const DEFAULT_MAX_KMS_CALLS = 1000;
/** Default when the config itself makes one KMS call per value, so a full page legitimately needs many. */
export const DEFAULT_MAX_KMS_CALLS_PER_VALUE = 10_000;
const STORED_FORMATS: readonly StoredFormat[] = ["native", "pydynox", "kms"];

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function checkKeys(value: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      fail(`${where}${quote(key)}`, `unknown option; expected one of ${[...allowed].join(", ")}`);
  }
}

function checkPolicy(policy: Record<string, unknown>, where: string): FieldPolicy {
  const { keyId, mode, context, allowPlaintext, scheme, format, acceptFormats, decryptOnlyKeyIds } =
    policy;
  if (acceptFormats !== undefined) {
    if (!Array.isArray(acceptFormats))
      fail(`${where}.acceptFormats`, `expected an array of ${STORED_FORMATS.join(", ")}`);
    for (const f of acceptFormats as unknown[])
      if (!STORED_FORMATS.includes(f as StoredFormat))
        fail(
          `${where}.acceptFormats`,
          `expected formats among ${STORED_FORMATS.join(", ")}, got ${JSON.stringify(f)}`,
        );
  }
  if (decryptOnlyKeyIds !== undefined) {
    if (!Array.isArray(decryptOnlyKeyIds))
      fail(`${where}.decryptOnlyKeyIds`, "expected an array of KMS key identifiers");
    for (const id of decryptOnlyKeyIds as unknown[])
      if (typeof id !== "string" || id.trim() === "")
        fail(
          `${where}.decryptOnlyKeyIds`,
          "expected non-empty strings (key ID, key ARN, alias name or alias ARN)",
        );
  }
  if (scheme !== undefined && scheme !== "envelope" && scheme !== "kms")
    fail(`${where}.scheme`, `expected one of envelope, kms, got ${JSON.stringify(scheme)}`);
  if (format !== undefined && format !== "native" && format !== "pydynox")
    fail(`${where}.format`, `expected one of native, pydynox, got ${JSON.stringify(format)}`);
  if (keyId !== undefined) checkKeyIdOption(keyId, `${where}.keyId`);
  if (mode !== undefined && !ENCRYPTION_MODES.includes(mode as EncryptionMode)) {
    fail(
      `${where}.mode`,
      `expected one of ${ENCRYPTION_MODES.join(", ")}, got ${JSON.stringify(mode)}`,
    );
  }
  if (context !== undefined) {
    if (!isPlainObject(context)) fail(`${where}.context`, "expected an object of string values");
    for (const [k, v] of Object.entries(context)) {
      checkContextValue(v, `${where}.context${quote(k)}`);
      if (k === "") fail(`${where}.context`, "context keys must not be empty");
      if (k.startsWith("aws:") || k.startsWith("dfe:")) {
        fail(
          `${where}.context${quote(k)}`,
          `keys starting with "aws:" (KMS) or "dfe:" (this library's binding) are reserved`,
        );
      }
    }
  }
  if (allowPlaintext !== undefined && typeof allowPlaintext !== "boolean")
    fail(`${where}.allowPlaintext`, "expected a boolean");
  return policy;
}

function positiveInteger(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    fail(where, `expected a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Validates a user's config once, fills in defaults and freezes the result.
 * Every mistake is reported with its location, such as
 * `tables.Users.fields["card.number"].mode`.
 */
export function resolveConfig(input: FieldEncryptionConfig): ResolvedConfig {
  if (!isPlainObject(input)) fail("config", "expected an object");
  checkKeys(input, TOP_KEYS, "config");
  const top = checkPolicy(input, "config");
  const copyGuard = resolveTopCopyGuard(input.copyGuard);

  const cacheInput = input.cache as unknown;
  let cache = { enabled: true, ...CACHE_DEFAULTS } as {
    enabled: boolean;
    maxAgeMs: number;
    maxUses: number;
    maxEntries: number;
  };
  if (cacheInput === false) cache = { ...cache, enabled: false };
  else if (cacheInput !== undefined) {
    if (!isPlainObject(cacheInput)) fail("config.cache", "expected an object or false");
    checkKeys(cacheInput, CACHE_KEYS, "config.cache");
    cache = {
      enabled: true,
      maxAgeMs:
        positiveInteger(cacheInput.maxAgeMs, "config.cache.maxAgeMs") ?? CACHE_DEFAULTS.maxAgeMs,
      maxUses:
        positiveInteger(cacheInput.maxUses, "config.cache.maxUses") ?? CACHE_DEFAULTS.maxUses,
      maxEntries:
        positiveInteger(cacheInput.maxEntries, "config.cache.maxEntries") ??
        CACHE_DEFAULTS.maxEntries,
    };
  }
  // Precondition: one data key encrypts at most 2^32 values; beyond that, random 96-bit IVs risk a collision, which breaks AES-GCM.
  if (cache.maxUses > MAX_USES_LIMIT)
    fail(
      "config.cache.maxUses",
      `at most 2^32 (${MAX_USES_LIMIT}), the AES-GCM limit for random IVs under one key`,
    );
  const maxConcurrency =
    positiveInteger(input.maxConcurrency, "config.maxConcurrency") ?? DEFAULT_MAX_CONCURRENCY;
  const maxKmsCalls = positiveInteger(input.maxKmsCallsPerRequest, "config.maxKmsCallsPerRequest");
  const undecryptableItems = input.undecryptableItems ?? "fail";
  if (undecryptableItems !== "fail" && undecryptableItems !== "skip")
    fail(
      "config.undecryptableItems",
      `expected one of fail, skip, got ${JSON.stringify(undecryptableItems)}`,
    );
  if (input.onEvent !== undefined && typeof input.onEvent !== "function")
    fail("config.onEvent", "expected a function");
  if (input.region !== undefined && typeof input.region !== "string")
    fail("config.region", "expected a string");

  let provider: KeyProvider;
  if (input.keyProvider !== undefined) {
    const p = input.keyProvider as Partial<KeyProvider> | null;
    if (
      !p ||
      typeof p.generateDataKey !== "function" ||
      typeof p.decryptDataKey !== "function" ||
      typeof p.id !== "string"
    ) {
      fail(
        "config.keyProvider",
        "expected a KeyProvider (KmsKeyProvider, LocalKeyProvider or your own)",
      );
    }
    if (input.kmsClient !== undefined || input.region !== undefined)
      fail("config.keyProvider", "give either keyProvider or kmsClient/region, not both");
    provider = p as KeyProvider;
  } else {
    provider = new KmsKeyProvider({
      ...(input.kmsClient ? { client: input.kmsClient } : {}),
      ...(input.region ? { region: input.region } : {}),
    });
  }

  if (!isPlainObject(input.tables)) fail("config.tables", "expected an object of tables by name");
  const tables = new Map<string, ResolvedTable>();
  for (const [name, tableInput] of Object.entries(input.tables)) {
    const where = `tables${quote(name)}`;
    if (!TABLE_NAME.test(name))
      fail(where, "not a valid DynamoDB table name (3-255 characters of a-z, A-Z, 0-9, _ . -)");
    if (!isPlainObject(tableInput)) fail(where, "expected an object");
    checkKeys(tableInput, TABLE_KEYS, where);
    const table = checkPolicy(tableInput, where);
    const { partitionKey, sortKey, logicalName, fields } = tableInput;
    if (typeof partitionKey !== "string" || partitionKey === "")
      fail(`${where}.partitionKey`, "expected the partition key attribute name");
    if (sortKey !== undefined && (typeof sortKey !== "string" || sortKey === ""))
      fail(`${where}.sortKey`, "expected the sort key attribute name");
    if (logicalName !== undefined && (typeof logicalName !== "string" || logicalName === ""))
      fail(`${where}.logicalName`, "expected a non-empty string");
    if (!isPlainObject(fields))
      fail(`${where}.fields`, "expected an object of fields by attribute path");

    const resolved: ResolvedField[] = [];
    const encryptedRoots = new Set<string>();
    for (const path of Object.keys(fields))
      encryptedRoots.add(
        (parseFieldPath(path, `${where}.fields${quote(path)}`)[0] as { name: string }).name,
      );
    const facts = { name, partitionKey, sortKey, encryptedRoots };
    for (const [path, fieldInput] of Object.entries(fields)) {
      const fieldWhere = `${where}.fields${quote(path)}`;
      if (!isPlainObject(fieldInput))
        fail(fieldWhere, "expected an object (use {} for the defaults)");
      checkKeys(fieldInput, FIELD_KEYS, fieldWhere);
      const field = checkPolicy(fieldInput, fieldWhere);
      const segments = parseFieldPath(path, fieldWhere);
      const root = (segments[0] as { name: string }).name;
      if (root === partitionKey || root === sortKey) {
        fail(
          fieldWhere,
          `"${root}" is a key attribute of the table; key attributes cannot be encrypted (DynamoDB must read them)`,
        );
      }
      const levels = [
        [top, "config"],
        [table, where],
        [field, fieldWhere],
      ] as const;
      let keyOption: Located<KeyIdOption> | undefined;
      let decryptOnlyOption: Located<readonly string[]> | undefined;
      const contextEntries = new Map<string, Located<ContextValue>>();
      for (const [policy, at] of levels) {
        if (policy.keyId !== undefined) keyOption = { value: policy.keyId, where: `${at}.keyId` };
        if (policy.decryptOnlyKeyIds !== undefined)
          decryptOnlyOption = {
            value: policy.decryptOnlyKeyIds,
            where: `${at}.decryptOnlyKeyIds`,
          };
        for (const [k, v] of Object.entries(policy.context ?? {}))
          contextEntries.set(k, { value: v, where: `${at}.context${quote(k)}` });
      }
      const keys = resolveFieldKeys(
        keyOption,
        [...contextEntries],
        decryptOnlyOption,
        facts,
        fieldWhere,
        provider.id,
      );
      const { keyId, context, readKeyIds } = keys;
      const scheme = field.scheme ?? table.scheme ?? top.scheme ?? "envelope";
      const format = field.format ?? table.format ?? top.format ?? "native";
      const written: StoredFormat = scheme === "kms" ? "kms" : format;
      const accepts = new Set<StoredFormat>([
        written,
        ...(field.acceptFormats ?? table.acceptFormats ?? top.acceptFormats ?? []),
      ]);
      if (accepts.has("kms") && typeof provider.decrypt !== "function")
        fail(fieldWhere, `reading the kms scheme needs a key provider with decrypt`);
      if (scheme === "kms" && format === "pydynox") {
        fail(
          fieldWhere,
          `format "pydynox" is an envelope format; it cannot be written with scheme "kms"`,
        );
      }
      if (
        scheme === "kms" &&
        (typeof provider.encrypt !== "function" || typeof provider.decrypt !== "function")
      ) {
        fail(fieldWhere, `scheme "kms" needs a key provider with encrypt and decrypt`);
      }
      const resolvedField: { -readonly [K in keyof ResolvedField]: ResolvedField[K] } = {
        path,
        segments: Object.freeze(segments),
        keyId,
        mode: field.mode ?? table.mode ?? top.mode ?? "ReadWrite",
        context,
        contextText: canonicalContext(context),
        allowPlaintext: field.allowPlaintext ?? table.allowPlaintext ?? top.allowPlaintext ?? false,
        accepts,
        readKeyIds: Object.freeze(readKeyIds),
        decryptCachePrefix: decryptCachePrefix(provider.id, canonicalContext(context), readKeyIds),
        scheme,
        format,
        encryptCacheKey: encryptCacheKey(provider.id, keyId, context),
        tenancy: undefined,
        beacon: resolveBeacon(fieldInput.beacon, segments, `${fieldWhere}.beacon`),
        copyGuard: resolveFieldCopyGuard(
          fieldInput.copyGuard,
          copyGuard,
          `${fieldWhere}.copyGuard`,
        ),
      };
      resolvedField.tenancy = keys.tenancy?.(resolvedField);
      resolved.push(Object.freeze(resolvedField));
    }
    for (const a of resolved) {
      for (const b of resolved) {
        if (a !== b && isPathPrefix(a.segments, b.segments)) {
          fail(
            `${where}.fields${quote(b.path)}`,
            `overlaps the field "${a.path}", which already encrypts the value that contains it`,
          );
        }
      }
    }
    const tenantAttributes = Object.freeze([
      ...new Set(resolved.flatMap((f) => f.tenancy?.attributes ?? [])),
    ]);
    const beaconAttributes = checkTableBeacons(resolved, partitionKey, sortKey, where);
    tables.set(
      name,
      Object.freeze({
        name,
        logicalName: logicalName ?? name,
        partitionKey,
        sortKey,
        fields: Object.freeze(resolved),
        rootNames: new Set(resolved.map((f) => (f.segments[0] as { name: string }).name)),
        tenantAttributes,
        beaconAttributes,
        compositeAttributes: checkTableComposites(
          resolved,
          { partitionKey, sortKey, tenantAttributes, beaconAttributes },
          where,
        ),
      }),
    );
  }

  // Precondition: logical names are unique, because ciphertexts are bound to them; two tables sharing one would accept each other's values.
  const logical = new Map<string, string>();
  for (const table of tables.values()) {
    const other = logical.get(table.logicalName);
    if (other !== undefined)
      fail(
        `tables${quote(table.name)}.logicalName`,
        `"${table.logicalName}" is also the logical name of table "${other}"; ciphertexts are bound to it, so values could be copied between the two tables undetected`,
      );
    logical.set(table.logicalName, table.name);
  }
  const onePerValue =
    !cache.enabled ||
    [...tables.values()].some((t) =>
      t.fields.some((f) => f.scheme === "kms" || f.accepts.has("kms")),
    );

  const beaconKey = resolveBeaconKey(input.beaconKey);
  const beaconed = [...tables.values()].find((t) => t.beaconAttributes.size > 0);
  if (beaconed && !beaconKey)
    fail(
      "config.beaconKey",
      `table "${beaconed.name}" has beacons, which need a beacon key; create one with \`keygen --key-id <kms key>\``,
    );

  return Object.freeze({
    tables,
    provider,
    cache: Object.freeze(cache),
    maxConcurrency,
    maxKmsCallsPerRequest:
      maxKmsCalls ?? (onePerValue ? DEFAULT_MAX_KMS_CALLS_PER_VALUE : DEFAULT_MAX_KMS_CALLS),
    undecryptableItems,
    onEvent: input.onEvent,
    beaconKey,
  });
}
