import type { FieldEncryptionEvent } from "../config/config-types";
import type { ResolvedConfig, ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import { associatedData, itemKey } from "../format/binding";
import {
  ENCRYPTED_PREFIX,
  ENVELOPE_VERSION,
  type Envelope,
  isEnvelope,
  open,
  parseEnvelope,
  seal,
} from "../format/envelope";
import { decodeValue, encodeValue } from "../format/value-codec";
import type { WireItem } from "../format/wire";
import { decryptCacheKey } from "../keys/cache-key";
import { DataKeyCache, type UsableDataKey } from "../keys/data-key-cache";
import type { DataKey } from "../keys/key-provider";
import { mapLimit } from "../util/map-limit";
import { type FieldSlot, forEachSlot } from "./field-locator";

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

interface PendingEncrypt {
  slot: FieldSlot;
  field: ResolvedField;
  table: ResolvedTable;
  plaintext: Buffer;
  aad: Buffer;
}

interface PendingDecrypt {
  slot: FieldSlot;
  field: ResolvedField;
  table: ResolvedTable;
  envelope: Envelope;
  aad: Buffer;
  cacheKey: string;
}

/**
 * Encrypts and decrypts the configured fields of items, in two phases: first
 * every value is found and checked and every data key it needs is fetched (KMS
 * calls bounded in concurrency, identical keys fetched once), then all values
 * are transformed synchronously. A failure in the first phase changes nothing.
 */
export class ItemCipher {
  readonly cache: DataKeyCache;

  constructor(private readonly config: ResolvedConfig) {
    this.cache = new DataKeyCache(config.cache, (use, hit) =>
      this.emit({ type: "cache", use, hit }),
    );
  }

  private emit(event: FieldEncryptionEvent): void {
    try {
      this.config.onEvent?.(event);
    } catch {
      // A metrics hook must never break a request.
    }
  }

  private async timed<T>(
    operation: "generateDataKey" | "decryptDataKey",
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
   * (an update's `:value`, a PartiQL parameter), or throws having changed nothing.
   */
  async encryptItems(jobs: readonly ItemJob[], values: readonly ValueTarget[] = []): Promise<void> {
    const pending: PendingEncrypt[] = [];
    for (const job of jobs) {
      const { table, item } = job;
      let key: BindingKey | undefined;
      const keyOf = () => (key ??= itemKey(table, item, job.key, { table: table.name }));
      for (const field of table.fields)
        forEachSlot(item, field.segments, (slot) =>
          this.collect(table, field, slot, keyOf, pending),
        );
    }
    for (const value of values)
      this.collect(value.table, value.field, value.slot, () => value.key, pending);
    if (pending.length === 0) return;

    const groups = new Map<string, PendingEncrypt[]>();
    for (const p of pending) {
      const group = groups.get(p.field.encryptCacheKey);
      if (group) group.push(p);
      else groups.set(p.field.encryptCacheKey, [p]);
    }
    const chunks: PendingEncrypt[][] = [];
    const size = this.cache.maxUses;
    for (const group of groups.values())
      for (let i = 0; i < group.length; i += size) chunks.push(group.slice(i, i + size));

    const provider = this.config.provider;
    const keys = await mapLimit(chunks, this.config.maxConcurrency, (chunk) => {
      const field = chunk[0]!.field;
      const load = (): Promise<DataKey> =>
        this.timed("generateDataKey", () =>
          provider.generateDataKey(field.keyId, { ...field.context }),
        );
      return this.cache
        .forEncrypt(field.encryptCacheKey, chunk.length, load)
        .catch((error: unknown) => {
          throw withLocation(error, chunk[0]!);
        });
    });
    chunks.forEach((chunk, i) => {
      const dataKey: UsableDataKey = keys[i]!;
      for (const p of chunk) {
        setSlot(p.slot, { S: seal(dataKey.key, dataKey.wrapped, p.plaintext, p.aad) });
        p.plaintext.fill(0);
      }
    });
  }

  private collect(
    table: ResolvedTable,
    field: ResolvedField,
    slot: FieldSlot,
    key: () => BindingKey,
    pending: PendingEncrypt[],
  ): void {
    const where = { table: table.name, field: field.path };
    if (field.mode === "ReadOnly") {
      throw new EncryptionError(
        "mode.readOnlyWrite",
        `"${field.path}" is ReadOnly for this client: it may not be written. Nothing was sent.`,
        where,
      );
    }
    const value = slot.value as { S?: unknown };
    // Precondition: a WriteOnly client that reads an item gets the stored ciphertext; writing it back must not encrypt it twice.
    if (field.mode === "WriteOnly" && typeof value.S === "string" && isEnvelope(value.S)) return;
    const aad = associatedData(ENVELOPE_VERSION, {
      table: table.logicalName,
      field: field.path,
      key: key(),
      context: field.context,
    });
    pending.push({ slot, field, table, plaintext: encodeValue(slot.value, where), aad });
  }

  /** Decrypts every configured field of every item (WriteOnly fields are left as stored), or throws. */
  async decryptItems(jobs: readonly ItemJob[]): Promise<void> {
    const pending: PendingDecrypt[] = [];
    const providerId = this.config.provider.id;
    for (const job of jobs) {
      const { table, item } = job;
      let key: BindingKey | undefined;
      for (const field of table.fields) {
        if (field.mode === "WriteOnly") continue; // returned as stored, with no KMS call
        forEachSlot(item, field.segments, (slot) => {
          const where = { table: table.name, field: field.path };
          const value = slot.value as { S?: unknown };
          if (typeof value.S !== "string" || !value.S.startsWith(ENCRYPTED_PREFIX)) {
            if (!field.allowPlaintext) {
              throw new EncryptionError(
                "ciphertext.plaintextNotAllowed",
                `"${field.path}" holds a value that is not encrypted, and allowPlaintext is false for this field`,
                where,
              );
            }
            return; // legacy plaintext, returned as it is
          }
          const envelope = parseEnvelope(value.S, where);
          key ??= itemKey(table, item, job.key, where);
          const aad = associatedData(envelope.version, {
            table: table.logicalName,
            field: field.path,
            key,
            context: field.context,
          });
          pending.push({
            slot,
            field,
            table,
            envelope,
            aad,
            cacheKey: decryptCacheKey(providerId, envelope.wrapped, field.context),
          });
        });
      }
    }
    if (pending.length === 0) return;

    const unique = new Map<string, PendingDecrypt>();
    for (const p of pending) if (!unique.has(p.cacheKey)) unique.set(p.cacheKey, p);
    const provider = this.config.provider;
    const opened = new Map<string, UsableDataKey>();
    await mapLimit([...unique.values()], this.config.maxConcurrency, async (p) => {
      const load = () =>
        this.timed("decryptDataKey", () =>
          provider.decryptDataKey(p.envelope.wrapped, { ...p.field.context }),
        );
      try {
        opened.set(p.cacheKey, await this.cache.forDecrypt(p.cacheKey, p.envelope.wrapped, load));
      } catch (error) {
        throw withLocation(error, p);
      }
    });
    const values = pending.map((p) => {
      const where = { table: p.table.name, field: p.field.path };
      const plaintext = open(opened.get(p.cacheKey)!.key, p.envelope, p.aad, where);
      try {
        return decodeValue(plaintext, where);
      } finally {
        plaintext.fill(0);
      }
    });
    pending.forEach((p, i) => setSlot(p.slot, values[i]!));
  }
}

function setSlot(slot: FieldSlot, value: unknown): void {
  (slot.holder as Record<string | number, unknown>)[slot.prop] = value;
}

/** Adds the table and field to a key provider's error, which does not know them. */
function withLocation(error: unknown, p: { field: ResolvedField; table?: ResolvedTable }): unknown {
  if (error instanceof EncryptionError && error.field === undefined) {
    return new EncryptionError(error.code, error.message, {
      table: p.table?.name,
      field: p.field.path,
      cause: error.cause ?? error,
    });
  }
  return error;
}
