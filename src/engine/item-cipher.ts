import { createHash } from "node:crypto";
import type { EncryptionContext, FieldEncryptionEvent } from "../config/config-types";
import type { ResolvedConfig, ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { type AadParts, aadParts, associatedDataFrom, itemKey, keyDigest } from "../format/binding";
import { toDirect } from "../format/direct-format";
import { ENVELOPE_VERSION, open, seal } from "../format/envelope";
import { sealPydynox } from "../format/pydynox-format";
import { ENCRYPTED_PREFIX } from "../format/stored-text";
import { isStoredCiphertext, parseStoredValue, type StoredValue } from "../format/stored-value";
import { decodeValue, encodeValue } from "../format/value-codec";
import type { WireItem, WireValue } from "../format/wire";
import { decryptCacheKey } from "../keys/cache-key";
import { DataKeyCache, type UsableDataKey } from "../keys/data-key-cache";
import type { DataKey, KeyProvider } from "../keys/key-provider";
import { canonicalContext } from "../util/canonical-context";
import { mapLimit } from "../util/map-limit";
import { type FieldSlot, forEachSlot, type ShapeMismatch } from "./field-locator";

/** The key attributes a value is bound to. */
export type BindingKey = ReturnType<typeof itemKey>;

/** One value to encrypt outside an item: an update's `:value` or a PartiQL parameter. */
export interface ValueTarget {
  table: ResolvedTable;
  field: ResolvedField;
  slot: FieldSlot;
  key: BindingKey;
}

/** One item of a request or response, with the table it belongs to. */
export interface ItemJob {
  table: ResolvedTable;
  /** The plugin's own parsed copy of the item; values are replaced in place. */
  item: WireItem;
  /** The request's `Key`, for binding when the item itself lacks key attributes (UpdateItem's UPDATED_NEW). */
  key?: WireItem | undefined;
}

interface Pending {
  slot: FieldSlot;
  field: ResolvedField;
  table: ResolvedTable;
  key: BindingKey;
}

interface PendingEncrypt extends Pending {
  /** The encoded value (or, for the pydynox format, the UTF-8 string). */
  plaintext: Buffer;
}

interface PendingDecrypt extends Pending {
  stored: StoredValue;
  /** Identifies the KMS call this value needs: the data key, or the value itself for the kms scheme. */
  callKey: string;
}

/** KMS's limit on `Encrypt` plaintext, which bounds values of the `kms` scheme. */
const KMS_MAX_PLAINTEXT = 4096;

const where = (p: Pending) => ({ table: p.table.name, field: p.field.path });

/**
 * The `kms` scheme's encryption context: the field's context plus the binding.
 * The key is a digest because KMS contexts appear in CloudTrail.
 */
function directContext(p: Pending): EncryptionContext {
  return {
    ...p.field.context,
    "dfe:table": p.table.logicalName,
    "dfe:field": p.field.path,
    "dfe:key": keyDigest(p.key),
  };
}

/**
 * On write, a value where the path needs a map or list (say `card` is a string
 * while `card.number` is encrypted) may hold the secret itself: refuse it.
 */
export function shapeMismatch(table: ResolvedTable, field: ResolvedField, offset = 0) {
  return (walkDepth: number, value: unknown): never => {
    const depth = walkDepth + offset;
    const at = field.segments
      .slice(0, depth)
      .map((s, i) => (s.kind === "each" ? "[]" : i === 0 ? s.name : `.${s.name}`))
      .join("");
    const next = field.segments[depth]!;
    const type =
      typeof value === "object" && value !== null ? (Object.keys(value)[0] ?? "?") : typeof value;
    throw new EncryptionError(
      "value.unsupportedType",
      `"${field.path}" is encrypted, but "${at}" holds ${type} where a ${next.kind === "each" ? "list (L)" : "map (M)"} is needed; it would be stored unencrypted. Nothing was sent.`,
      { table: table.name, field: field.path },
    );
  };
}

function setSlot(slot: FieldSlot, value: unknown): void {
  (slot.holder as Record<string | number, unknown>)[slot.prop] = value;
}

/** Adds the table and field to a key provider's error, which does not know them. */
function withLocation(error: unknown, p: Pending): unknown {
  if (error instanceof EncryptionError && error.field === undefined) {
    return new EncryptionError(error.code, error.message, {
      ...where(p),
      cause: error.cause ?? error,
    });
  }
  return error;
}

/**
 * Encrypts and decrypts the configured fields of items, in two phases: first
 * every value is found and checked and every KMS call it needs is made (bounded
 * in concurrency, identical calls made once), then all values are transformed
 * synchronously. A failure in the first phase changes nothing.
 */
export class ItemCipher {
  readonly cache: DataKeyCache;
  private readonly provider: KeyProvider;
  /** Associated-data parts that depend only on the field, computed once. */
  private readonly aad = new WeakMap<ResolvedField, AadParts>();
  /** The write-side shape check of each field, made once rather than per item. */
  private readonly mismatch = new WeakMap<ResolvedField, ShapeMismatch>();

  constructor(private readonly config: ResolvedConfig) {
    this.provider = config.provider;
    this.cache = new DataKeyCache(config.cache, (use, hit) =>
      this.emit({ type: "cache", use, hit }),
    );
  }

  private aadFor(p: Pending, version: number): Buffer {
    let parts = this.aad.get(p.field);
    if (!parts)
      this.aad.set(
        p.field,
        (parts = aadParts(version, p.table.logicalName, p.field.path, p.field.context)),
      );
    return associatedDataFrom(parts, p.key);
  }

  private emit(event: FieldEncryptionEvent): void {
    try {
      this.config.onEvent?.(event);
    } catch {
      // A metrics hook must never break a request.
    }
  }

  private async timed<T>(
    operation: "generateDataKey" | "decryptDataKey" | "encrypt" | "decrypt",
    call: () => Promise<T>,
  ): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const out = await call();
      ok = true;
      return out;
    } finally {
      this.emit({ type: "kms", operation, durationMs: performance.now() - start, ok });
    }
  }

  /**
   * Encrypts every configured field of every item, and each extra value
   * (an update's `:value`, a PartiQL parameter), or throws. Every check and
   * KMS call happens before the first value is replaced; a failure leaves the
   * request unsent (it is the plugin's own copy of the body).
   */
  async encryptItems(jobs: readonly ItemJob[], values: readonly ValueTarget[] = []): Promise<void> {
    const pending: PendingEncrypt[] = [];
    const slots: FieldSlot[] = [];
    const collectSlot = (slot: FieldSlot) => slots.push(slot);
    for (const job of jobs) {
      const { table, item } = job;
      let key: BindingKey | undefined;
      for (const field of table.fields) {
        slots.length = 0;
        let mismatch = this.mismatch.get(field);
        if (!mismatch) this.mismatch.set(field, (mismatch = shapeMismatch(table, field)));
        forEachSlot(item, field.segments, collectSlot, mismatch);
        if (slots.length === 0) continue;
        key ??= itemKey(table, item, job.key, { table: table.name });
        for (const slot of slots) this.collectEncrypt(table, field, slot, key, pending);
      }
    }
    for (const value of values)
      this.collectEncrypt(value.table, value.field, value.slot, value.key, pending);
    if (pending.length === 0) return;

    // Envelope: one data key per (KMS key, context) and chunk of at most maxUses values.
    const chunks: PendingEncrypt[][] = [];
    const direct: PendingEncrypt[] = [];
    const groups = new Map<string, PendingEncrypt[]>();
    for (const p of pending) {
      if (p.field.scheme === "kms") {
        direct.push(p);
        continue;
      }
      const group = groups.get(p.field.encryptCacheKey);
      if (group) group.push(p);
      else groups.set(p.field.encryptCacheKey, [p]);
    }
    const size = this.cache.maxUses;
    for (const group of groups.values()) {
      if (group.length <= size) chunks.push(group);
      else for (let i = 0; i < group.length; i += size) chunks.push(group.slice(i, i + size));
    }
    const dataKeys: (UsableDataKey | undefined)[] = chunks.map((chunk) =>
      this.cache.tryReserve(chunk[0]!.field.encryptCacheKey, chunk.length),
    );
    const misses = chunks.filter((_, i) => dataKeys[i] === undefined);
    if (misses.length > 0) {
      const loaded = await mapLimit(misses, this.config.maxConcurrency, (chunk) => {
        const field = chunk[0]!.field;
        const load = (): Promise<DataKey> =>
          this.timed("generateDataKey", () =>
            this.provider.generateDataKey(field.keyId, { ...field.context }),
          );
        return this.cache
          .forEncrypt(field.encryptCacheKey, chunk.length, load)
          .catch((error: unknown) => {
            throw withLocation(error, chunk[0]!);
          });
      });
      for (let i = 0, m = 0; i < chunks.length; i++) dataKeys[i] ??= loaded[m++];
    }

    // Direct: one KMS Encrypt per value.
    const blobs =
      direct.length === 0
        ? []
        : await mapLimit(direct, this.config.maxConcurrency, (p) =>
            this.timed("encrypt", () =>
              this.provider.encrypt!(p.field.keyId, p.plaintext, directContext(p)),
            ).catch((error: unknown) => {
              throw withLocation(error, p);
            }),
          );

    for (let i = 0; i < chunks.length; i++) {
      const { key, wrapped } = dataKeys[i]!;
      for (const p of chunks[i]!) {
        const stored =
          p.field.format === "pydynox"
            ? sealPydynox(key, wrapped, p.plaintext.toString("utf8"))
            : seal(key, wrapped, p.plaintext, this.aadFor(p, ENVELOPE_VERSION));
        setSlot(p.slot, { S: stored });
        p.plaintext.fill(0);
      }
    }
    for (let i = 0; i < direct.length; i++) {
      setSlot(direct[i]!.slot, { S: toDirect(blobs[i]!) });
      direct[i]!.plaintext.fill(0);
    }
  }

  private collectEncrypt(
    table: ResolvedTable,
    field: ResolvedField,
    slot: FieldSlot,
    key: BindingKey,
    pending: PendingEncrypt[],
  ): void {
    const at = { table: table.name, field: field.path };
    if (field.mode === "ReadOnly") {
      throw new EncryptionError(
        "mode.readOnlyWrite",
        `"${field.path}" is ReadOnly for this client: it may not be written. Nothing was sent.`,
        at,
      );
    }
    const value = slot.value as { S?: unknown };
    // Precondition: a WriteOnly client that reads an item gets the stored ciphertext; writing it back must not encrypt it twice.
    if (field.mode === "WriteOnly" && typeof value.S === "string" && isStoredCiphertext(value.S))
      return;
    let plaintext: Buffer;
    if (field.format === "pydynox") {
      if (typeof value.S !== "string" || Object.keys(value).length !== 1) {
        throw new EncryptionError(
          "value.unsupportedType",
          `"${field.path}" is written in pydynox's format, which holds strings only`,
          at,
        );
      }
      plaintext = Buffer.from(value.S, "utf8");
    } else {
      plaintext = encodeValue(slot.value, at);
      if (field.scheme === "kms" && plaintext.length > KMS_MAX_PLAINTEXT) {
        throw new EncryptionError(
          "value.tooLarge",
          `"${field.path}" uses the kms scheme, whose values are limited to ${KMS_MAX_PLAINTEXT} bytes; this one is ${plaintext.length}`,
          at,
        );
      }
    }
    pending.push({ slot, field, table, key, plaintext });
  }

  /** Decrypts every configured field of every item (WriteOnly fields are left as stored), or throws. */
  async decryptItems(jobs: readonly ItemJob[]): Promise<void> {
    const pending: PendingDecrypt[] = [];
    const providerId = this.provider.id;
    const slots: FieldSlot[] = [];
    const collectSlot = (slot: FieldSlot) => slots.push(slot);
    for (const job of jobs) {
      const { table, item } = job;
      let key: BindingKey | undefined;
      for (const field of table.fields) {
        if (field.mode === "WriteOnly") continue; // returned as stored, with no KMS call
        slots.length = 0;
        forEachSlot(item, field.segments, collectSlot);
        for (const slot of slots) {
          const value = slot.value as { S?: unknown };
          if (typeof value.S !== "string" || !value.S.startsWith(ENCRYPTED_PREFIX)) {
            if (!field.allowPlaintext) {
              throw new EncryptionError(
                "ciphertext.plaintextNotAllowed",
                `"${field.path}" holds a value that is not encrypted, and allowPlaintext is false for this field`,
                { table: table.name, field: field.path },
              );
            }
            continue; // legacy plaintext, returned as it is
          }
          const at = { table: table.name, field: field.path };
          const stored = parseStoredValue(value.S, at);
          key ??= itemKey(table, item, job.key, at);
          const p: PendingDecrypt = { slot, field, table, key, stored, callKey: "" };
          if (stored.format === "kms") {
            p.callKey = `kms:${createHash("sha256")
              .update(stored.blob)
              .update(canonicalContext(directContext(p)))
              .digest("hex")}`;
          } else {
            p.callKey = decryptCacheKey(
              providerId,
              stored.format === "native" ? stored.envelope.wrapped : stored.value.wrapped,
              field.contextText,
            );
          }
          pending.push(p);
        }
      }
    }
    if (pending.length === 0) return;
    const direct = pending.find((p) => p.stored.format === "kms");
    if (direct && typeof this.provider.decrypt !== "function") {
      throw new EncryptionError(
        "config.invalid",
        "A value of the kms scheme needs a key provider with decrypt",
        where(direct),
      );
    }

    const unique = new Map<string, PendingDecrypt>();
    for (const p of pending) if (!unique.has(p.callKey)) unique.set(p.callKey, p);
    const dataKeys = new Map<string, UsableDataKey>();
    const plainValues = new Map<string, Buffer>();
    const calls: PendingDecrypt[] = [];
    for (const p of unique.values()) {
      const cached = p.stored.format === "kms" ? undefined : this.cache.peek(p.callKey);
      if (cached) dataKeys.set(p.callKey, cached);
      else calls.push(p);
    }
    if (calls.length > 0)
      await mapLimit(calls, this.config.maxConcurrency, async (p) => {
        try {
          if (p.stored.format === "kms") {
            const blob = p.stored.blob;
            const plaintext = await this.timed("decrypt", () =>
              this.provider.decrypt!(blob, directContext(p)),
            );
            plainValues.set(p.callKey, Buffer.from(plaintext));
            plaintext.fill(0);
          } else {
            const wrapped =
              p.stored.format === "native" ? p.stored.envelope.wrapped : p.stored.value.wrapped;
            const load = () =>
              this.timed("decryptDataKey", () =>
                this.provider.decryptDataKey(wrapped, { ...p.field.context }),
              );
            dataKeys.set(p.callKey, await this.cache.forDecrypt(p.callKey, wrapped, load));
          }
        } catch (error) {
          throw withLocation(error, p);
        }
      });
    let values: WireValue[];
    try {
      values = pending.map((p) => this.open(p, dataKeys, plainValues));
    } finally {
      for (const plaintext of plainValues.values()) plaintext.fill(0);
    }
    pending.forEach((p, i) => setSlot(p.slot, values[i]!));
  }

  private open(
    p: PendingDecrypt,
    dataKeys: Map<string, UsableDataKey>,
    plainValues: Map<string, Buffer>,
  ): WireValue {
    const at = where(p);
    const stored = p.stored;
    if (stored.format === "kms") return decodeValue(plainValues.get(p.callKey)!, at);
    const key = dataKeys.get(p.callKey)!.key;
    if (stored.format === "pydynox") {
      const plaintext = open(key, stored.value, undefined, at);
      try {
        return { S: plaintext.toString("utf8") };
      } finally {
        plaintext.fill(0);
      }
    }
    const plaintext = open(key, stored.envelope, this.aadFor(p, stored.envelope.version), at);
    try {
      return decodeValue(plaintext, at);
    } finally {
      plaintext.fill(0);
    }
  }
}
