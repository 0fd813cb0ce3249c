import type { EncryptionContext } from "../config/config-types";
import type { ResolvedField } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { decryptCachePrefix, encryptCacheKey } from "../keys/cache-key";
import { canonicalContext } from "../util/canonical-context";
import {
  type AttributeLookup,
  attributeText,
  type CompiledSource,
  sourceText,
  type TenantLocation,
} from "./attribute-text";
import type { ChosenKey } from "./tenancy-types";

/** How a field's KMS key is chosen per item. */
export type KeyChoice =
  | {
      readonly kind: "fixed";
      readonly keyId: string;
      readonly decryptOnlyKeyIds: readonly string[];
    }
  | {
      readonly kind: "map";
      readonly source: CompiledSource;
      readonly keys: ReadonlyMap<string, string>;
      readonly fallback: string | undefined;
      readonly decryptOnlyKeyIds: ReadonlyMap<string, readonly string[]>;
    }
  | {
      readonly kind: "function";
      readonly attributes: readonly string[];
      readonly choose: (values: Readonly<Record<string, string>>) => ChosenKey | undefined;
    };

/** Derived fields kept per configured field: one per distinct tenant, oldest first out. */
export const TENANT_MEMO_ENTRIES = 10_000;

/**
 * The per-item part of a field whose KMS key or encryption context comes from
 * the item's attributes. {@link forItem} gives the field as it applies to one
 * item: its key, context, readable keys and cache keys, exactly as a field
 * configured with them statically would have. Derived fields are memoised per
 * distinct attribute values (bounded), so a warm tenant costs one map lookup
 * and a key function runs once per tenant.
 */
export class FieldTenancy {
  /** Every attribute that chooses this field's key or context. */
  readonly attributes: readonly string[];
  private readonly memo = new Map<string, ResolvedField>();

  constructor(
    /** The field with its fixed parts; its keyId, context and cache keys are replaced per item. */
    private readonly template: ResolvedField,
    private readonly providerId: string,
    private readonly key: KeyChoice,
    /** The fixed context entries. */
    private readonly fixedContext: Readonly<EncryptionContext>,
    /** The context entries taken from the item, by context key. */
    private readonly contextSources: readonly (readonly [string, CompiledSource])[],
  ) {
    const names = new Set<string>(contextSources.map(([, s]) => s.attribute));
    if (key.kind === "map") names.add(key.source.attribute);
    if (key.kind === "function") for (const a of key.attributes) names.add(a);
    this.attributes = Object.freeze([...names]);
  }

  /** The field as it applies to the item whose attributes `lookup` reads. Throws `tenant.*` when they do not choose a key. */
  forItem(lookup: AttributeLookup, table: string): ResolvedField {
    const at: TenantLocation = { table, field: this.template.path };
    const contextValues = this.contextSources.map(([, s]) => sourceText(lookup, s, at));
    let selector: string[];
    const key = this.key;
    if (key.kind === "map") selector = [sourceText(lookup, key.source, at)];
    else if (key.kind === "function")
      selector = key.attributes.map((name) => attributeText(lookup, name, at));
    else selector = [];
    // Length-prefixed, so no two lists of values share a key (values may hold any character).
    let memoKey = "";
    for (const v of contextValues) memoKey += `${v.length}:${v}`;
    memoKey += "|";
    for (const v of selector) memoKey += `${v.length}:${v}`;
    const known = this.memo.get(memoKey);
    if (known) return known;
    const derived = this.derive(contextValues, selector, at);
    // Bounded: the oldest tenant goes first (it is derived again when it comes back).
    if (this.memo.size >= TENANT_MEMO_ENTRIES)
      this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(memoKey, derived);
    return derived;
  }

  private chooseKey(
    selector: string[],
    at: TenantLocation,
  ): { keyId: string; decryptOnly: readonly string[] } {
    const key = this.key;
    if (key.kind === "fixed") return { keyId: key.keyId, decryptOnly: key.decryptOnlyKeyIds };
    if (key.kind === "map") {
      const tenant = selector[0]!;
      const keyId = key.keys.get(tenant) ?? key.fallback;
      if (keyId === undefined) throw unmapped(at);
      return { keyId, decryptOnly: key.decryptOnlyKeyIds.get(tenant) ?? [] };
    }
    const values: Record<string, string> = Object.create(null) as Record<string, string>;
    key.attributes.forEach((name, i) => (values[name] = selector[i]!));
    let chosen: unknown;
    try {
      chosen = key.choose(Object.freeze(values));
    } catch (error) {
      throw new EncryptionError(
        "tenant.keyInvalid",
        `The keyId function of "${at.field}" threw. Nothing was sent or decrypted.`,
        { ...at, cause: error },
      );
    }
    if (chosen === undefined) throw unmapped(at);
    if (typeof chosen === "string" && chosen.trim() !== "")
      return { keyId: chosen, decryptOnly: [] };
    if (
      typeof chosen === "object" &&
      chosen !== null &&
      !("then" in chosen) &&
      typeof (chosen as { keyId?: unknown }).keyId === "string" &&
      (chosen as { keyId: string }).keyId.trim() !== ""
    ) {
      const { keyId, decryptOnlyKeyIds } = chosen as { keyId: string; decryptOnlyKeyIds?: unknown };
      if (
        decryptOnlyKeyIds === undefined ||
        (Array.isArray(decryptOnlyKeyIds) &&
          decryptOnlyKeyIds.every((k) => typeof k === "string" && k.trim() !== ""))
      )
        return { keyId, decryptOnly: (decryptOnlyKeyIds as string[] | undefined) ?? [] };
    }
    throw new EncryptionError(
      "tenant.keyInvalid",
      `The keyId function of "${at.field}" must return, synchronously, a non-empty key identifier, { keyId, decryptOnlyKeyIds? } or undefined${typeof (chosen as { then?: unknown }).then === "function" ? "; it returned a promise (look keys up ahead of time, or cache them, so no I/O lands on the request path)" : ""}. Nothing was sent or decrypted.`,
      at,
    );
  }

  private derive(contextValues: string[], selector: string[], at: TenantLocation): ResolvedField {
    const { keyId, decryptOnly } = this.chooseKey(selector, at);
    const context: EncryptionContext = { ...this.fixedContext };
    this.contextSources.forEach(([name], i) => (context[name] = contextValues[i]!));
    Object.freeze(context);
    const contextText = canonicalContext(context);
    const readKeyIds = Object.freeze([...new Set([keyId, ...decryptOnly])]);
    return Object.freeze({
      ...this.template,
      keyId,
      context,
      contextText,
      readKeyIds,
      decryptCachePrefix: decryptCachePrefix(this.providerId, contextText, readKeyIds),
      encryptCacheKey: encryptCacheKey(this.providerId, keyId, context),
      tenancy: undefined,
    });
  }
}

function unmapped(at: TenantLocation): EncryptionError {
  return new EncryptionError(
    "tenant.keyUnmapped",
    `No KMS key is mapped for this item's tenant in the keyId of "${at.field}", and no default is configured. Nothing was sent or decrypted.`,
    at,
  );
}
