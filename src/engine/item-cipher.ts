import { createHash } from "node:crypto";
import type { EncryptionContext, FieldEncryptionEvent, StoredFormat } from "../config/config-types";
import type { ResolvedConfig, ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionError, type UndecryptableItem } from "../errors/encryption-error";
import { type AadParts, aadParts, associatedDataFrom, itemKey, keyDigest } from "../format/binding";
import { toDirect } from "../format/direct-format";
import {
  type EnvelopeHead,
  envelopeHead,
  envelopeWithHead,
  ENVELOPE_VERSION,
  open,
  seal,
} from "../format/envelope";
import { sealPydynox } from "../format/pydynox-format";
import { ENCRYPTED_PREFIX, storedBytes } from "../format/stored-text";
import { parseStoredValue, type StoredValue } from "../format/stored-value";
import { toSdkValue } from "../format/sdk-value";
import { decodeValue, encodeValue } from "../format/value-codec";
import type { WireItem, WireValue } from "../format/wire";
import { decryptCacheKey } from "../keys/cache-key";
import { DataKeyCache, type UsableDataKey } from "../keys/data-key-cache";
import type { DataKey, KeyProvider } from "../keys/key-provider";
import { canonicalContext } from "../util/canonical-context";
import { mapLimit } from "../util/map-limit";
import type { BindingKey } from "./binding-key";
import { isValueFailure, undecryptableError } from "./decrypt-failure";
import { type FieldSlot, forEachSlot, type ShapeMismatch } from "./field-locator";
import { HandedOutCiphertexts } from "./handed-out-ciphertexts";
import type { CopyNeedles } from "../copy-guard/copy-needles";
import { fieldForItem } from "../tenancy/field-for-item";

export type { BindingKey } from "./binding-key";

/** One value to encrypt outside an item: an update's `:value` or a PartiQL parameter. */
export interface ValueTarget {
  table: ResolvedTable;
  field: ResolvedField;
  slot: FieldSlot;
  key: BindingKey;
  /**
   * What the request says about the item's other attributes (its `Key`, an
   * update's own `SET attr = :value`s, a statement's tuple or `WHERE`), for
   * fields whose KMS key or context the item's attributes choose.
   */
  attributes?: WireItem | undefined;
}

/** One item of a request or response, with the table it belongs to. */
export interface ItemJob {
  table: ResolvedTable;
  /** The plugin's own parsed copy of the item; values are replaced in place. */
  item: WireItem;
  /** The request's `Key`, for binding when the item itself lacks key attributes (UpdateItem's UPDATED_NEW). */
  key?: WireItem | undefined;
  /**
   * On decrypt: the item is one entry of a page, which the caller can leave
   * out. With `undecryptableItems: "skip"`, a value that fails in such an item
   * fails only that item.
   */
  skippable?: boolean;
}

/** How decrypted values are given back. */
export interface DecryptOptions {
  /**
   * `wire` (default): DynamoDB JSON, binaries as base64 text, as in a response
   * body, a stream record or an export. `sdk`: binaries as `Uint8Array`s, as
   * the SDK's deserializer gives them.
   */
  form?: "wire" | "sdk";
}

/** An item left out of a response because one of its values failed to decrypt. */
export interface SkippedItem<J extends ItemJob = ItemJob> {
  job: J;
  error: EncryptionError;
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

/** Values that need one KMS call: under one data key, or (kms scheme) one identical stored value. */
interface KeyGroup {
  /** Identifies the call: the data key's cache key, or a digest of the value for the kms scheme. */
  callKey: string;
  first: PendingDecrypt;
  dataKey?: UsableDataKey | undefined;
  /** The kms scheme's decrypted value, zeroed after use. */
  plain?: Buffer;
  error?: EncryptionError;
}

interface PendingDecrypt<J extends ItemJob = ItemJob> extends Pending {
  stored: StoredValue;
  group: KeyGroup;
  /** The item the value belongs to. */
  job: J;
}

/** KMS's limit on `Encrypt` plaintext, which bounds values of the `kms` scheme. */
const KMS_MAX_PLAINTEXT = 4096;

const where = (p: Pending) => ({ table: p.table.name, field: p.field.path });

/** Per response: the KMS calls its values need, and each field's last data key, recognised by its stored text's prefix. */
interface Reads {
  heads: Map<ResolvedField, EnvelopeHead & { group: KeyGroup }>;
  groups: Map<string, KeyGroup>;
}

const FORMAT_NAMES: Record<StoredFormat, string> = {
  native: "native format",
  pydynox: "pydynox format",
  kms: "direct KMS scheme",
};

/** A failed item by its table, field and key attributes; never a value. */
function describe(job: ItemJob, error: EncryptionError): UndecryptableItem {
  const { table, item } = job;
  const key: Record<string, unknown> = {};
  for (const name of table.sortKey === undefined
    ? [table.partitionKey]
    : [table.partitionKey, table.sortKey]) {
    const value = item[name] ?? job.key?.[name];
    if (value !== undefined) key[name] = value;
  }
  return { table: table.name, field: error.field ?? "", key, code: error.code };
}

/**
 * The `kms` scheme's encryption context: the field's context plus the binding.
 * The key is a digest because KMS contexts appear in CloudTrail.
 */
export function directContext(p: {
  table: ResolvedTable;
  field: ResolvedField;
  key: BindingKey;
}): EncryptionContext {
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

/** KMS refusals that, for a key or context chosen per item, are one tenant's (its key revoked, disabled or gone). */
const TENANT_KEY_CODES = new Set(["kms.accessDenied", "kms.keyDisabled", "kms.keyNotFound"]);

/**
 * Whether a failed KMS call fails only the items of one tenant: when the
 * field's key or context is chosen per item, a tenant that revoked the
 * service's access must not take the other tenants' items of a page down
 * with it. Throttling and outages still fail the whole response.
 */
function isTenantKeyFailure(error: unknown, p: Pending): error is EncryptionError {
  return (
    error instanceof EncryptionError &&
    TENANT_KEY_CODES.has(error.code) &&
    p.table.fields.some((f) => f.path === p.field.path && f.tenancy !== undefined)
  );
}

/** A WriteOnly field's name in the handed-out record: its path and, for a key or context chosen per item, which ones. */
function handedOutName(field: ResolvedField): string {
  return field.tenancy === undefined ? `${field.path}\u0000${field.encryptCacheKey}` : field.path;
}

/**
 * Whether `text` is what every reader takes for a stored ciphertext (`ENC:`
 * and canonical base64, whatever its version or format): the only text a
 * WriteOnly read hands out as kept-on-write-back. Legacy plaintext is not, and
 * is encrypted when written back; a ciphertext this field cannot read (a newer
 * version, a format it does not accept) is kept as it is, so that readers keep
 * failing on it rather than return its text as the value.
 */
function isStoredCiphertextText(text: string): boolean {
  return storedBytes(text) !== undefined;
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
  /** Associated-data parts that depend only on the field and format version, computed once. */
  private readonly aad = new WeakMap<ResolvedField, Map<number, AadParts>>();
  /** Stored values that WriteOnly reads returned, which alone may be written back unchanged. */
  readonly handedOut = new HandedOutCiphertexts();

  /**
   * Whether this client's own read returned `text` for this item and field,
   * under whichever key and context the item chose: the WriteOnly write-back
   * rule, for code outside the engine (the beacon planner) that must tell a
   * written-back ciphertext from a new value.
   */
  wasHandedOut(table: ResolvedTable, field: ResolvedField, key: BindingKey, text: string): boolean {
    return (
      this.handedOut.has(table.logicalName, handedOutName(field), key, text) ||
      this.handedOut.has(table.logicalName, field.path, key, text)
    );
  }
  /** The write-side shape check of each field, made once rather than per item. */
  private readonly mismatch = new WeakMap<ResolvedField, ShapeMismatch>();

  constructor(private readonly config: ResolvedConfig) {
    this.provider = config.provider;
    this.cache = new DataKeyCache(config.cache, (use, hit) =>
      this.emit({ type: "cache", use, hit }),
    );
  }

  private aadFor(p: Pending, version: number): Buffer {
    let byVersion = this.aad.get(p.field);
    if (!byVersion) this.aad.set(p.field, (byVersion = new Map<number, AadParts>()));
    let parts = byVersion.get(version);
    if (!parts)
      byVersion.set(
        version,
        (parts = aadParts(version, p.table.logicalName, p.field.path, p.field.context)),
      );
    return associatedDataFrom(parts, p.key);
  }

  /** Precondition: a request needs at most maxKmsCallsPerRequest KMS calls, checked before the first one. */
  private checkCallBudget(calls: number, p: Pending): void {
    const max = this.config.maxKmsCallsPerRequest;
    if (calls > max)
      throw new EncryptionError(
        "kms.tooManyCalls",
        `This request may need up to ${calls} KMS calls (a data key read can cost one per key in the field's keyId and decryptOnlyKeyIds), more than maxKmsCallsPerRequest (${max}); no call was made. Raise the limit, enable the data-key cache, or read smaller pages (Limit).`,
        { table: p.table.name },
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
   * request unsent (it is the plugin's own copy of the body). With `needles`,
   * records each plaintext for the copy guard (a job's under its item) and
   * each value it produced or kept as written back, which the guard skips.
   * `check` runs once every value is replaced (the copy guard on the final
   * items); when it throws, every value is put back as it was, so that a
   * caller retrying the items one by one (imports) never encrypts a
   * ciphertext as if it were plaintext.
   */
  async encryptItems(
    jobs: readonly ItemJob[],
    values: readonly ValueTarget[] = [],
    needles?: CopyNeedles,
    check?: () => void,
  ): Promise<void> {
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
        const itemField = fieldForItem(table, field, item, job.key);
        for (const slot of slots)
          this.collectEncrypt(table, itemField, slot, key, pending, needles, item);
      }
    }
    for (const value of values)
      this.collectEncrypt(
        value.table,
        fieldForItem(value.table, value.field, {}, value.attributes),
        value.slot,
        value.key,
        pending,
        needles,
      );
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
    this.checkCallBudget(misses.length + direct.length, pending[0]!);
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
        const sent = { S: stored };
        needles?.skip(sent);
        setSlot(p.slot, sent);
        p.plaintext.fill(0);
      }
    }
    for (let i = 0; i < direct.length; i++) {
      const sent = { S: toDirect(blobs[i]!) };
      needles?.skip(sent);
      setSlot(direct[i]!.slot, sent);
      direct[i]!.plaintext.fill(0);
    }
    try {
      check?.();
    } catch (error) {
      for (const p of pending) setSlot(p.slot, p.slot.value);
      throw error;
    }
  }

  private collectEncrypt(
    table: ResolvedTable,
    field: ResolvedField,
    slot: FieldSlot,
    key: BindingKey,
    pending: PendingEncrypt[],
    needles?: CopyNeedles,
    owner?: object,
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
    // Precondition: a WriteOnly client writes a stored value back unchanged only if its own read returned it, for this item and field; any other ENC: text is user input and is encrypted like any string.
    if (
      field.mode === "WriteOnly" &&
      typeof value.S === "string" &&
      Object.keys(value).length === 1
    ) {
      // The record names the key and context the value was read under, so it is kept only for the same tenant.
      if (this.handedOut.has(table.logicalName, handedOutName(field), key, value.S)) {
        needles?.skip(slot.value);
        return;
      }
      // Precondition: a value read under one tenant is not written back to the item under another, where no reader could open it.
      if (this.handedOut.has(table.logicalName, field.path, key, value.S))
        throw new EncryptionError(
          "tenant.attributeChanged",
          `"${field.path}" is written back as this WriteOnly client read it, but the item's attributes now choose another KMS key or context; its stored value would become unreadable. Nothing was sent.`,
          at,
        );
    }
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
    needles?.add(table, field, slot.value, owner);
    pending.push({ slot, field, table, key, plaintext });
  }

  /**
   * Decrypts every configured field of every item (WriteOnly fields are left
   * as stored, and recorded as handed out), or throws. A value that fails
   * (tampered, malformed, plaintext, a refused format or key) fails its item;
   * every failed item is named in the error's `items`. With
   * `undecryptableItems: "skip"`, failures only in skippable items are
   * returned instead, those items left untouched, for the caller to drop.
   * KMS outages and the call budget always throw.
   */
  async decryptItems<J extends ItemJob>(
    jobs: readonly J[],
    options: DecryptOptions = {},
  ): Promise<SkippedItem<J>[]> {
    const sdkForm = options.form === "sdk";
    const pending: PendingDecrypt<J>[] = [];
    const failed = new Map<J, EncryptionError>();
    const fail = (job: J, error: unknown): void => {
      if (!isValueFailure(error)) throw error;
      if (!failed.has(job)) failed.set(job, error);
    };
    const slots: FieldSlot[] = [];
    const collectSlot = (slot: FieldSlot) => slots.push(slot);
    const reads: Reads = { heads: new Map(), groups: new Map() };
    for (const job of jobs) {
      try {
        this.collectDecrypt(job, pending, slots, collectSlot, reads);
      } catch (error) {
        fail(job, error);
      }
    }
    const calls: KeyGroup[] = [];
    const needed = new Set<KeyGroup>();
    for (const p of pending) if (!failed.has(p.job)) needed.add(p.group); // values of failed items need no call
    for (const group of needed) {
      if (group.first.stored.format !== "kms") group.dataKey = this.cache.peek(group.callKey);
      if (!group.dataKey) calls.push(group);
    }
    if (calls.length > 0) {
      const direct = calls.find((g) => g.first.stored.format === "kms");
      if (direct && typeof this.provider.decrypt !== "function") {
        throw new EncryptionError(
          "config.invalid",
          "A value of the kms scheme needs a key provider with decrypt",
          where(direct.first),
        );
      }
      // A data key may cost one Decrypt per key it may be under (the provider tries the field's keyId, then each decryptOnlyKeyIds, in order), so the budget counts the worst case: a value can claim to be under the last.
      let worst = 0;
      for (const group of calls) worst += Math.max(1, group.first.field.readKeyIds.length);
      this.checkCallBudget(worst, calls[0]!.first);
      await mapLimit(calls, this.config.maxConcurrency, async (group) => {
        try {
          await this.unwrap(group);
        } catch (error) {
          const located = withLocation(error, group.first);
          if (!isValueFailure(located) && !isTenantKeyFailure(located, group.first)) throw located;
          group.error = located;
        }
      });
      // Precondition: a KMS refusal counts as one tenant's only when another call of the same response succeeded; when every call is refused, the service's own access is the likelier cause, and skipping every item would make an outage look like an empty page.
      const refused = calls.filter((g) => g.error !== undefined && !isValueFailure(g.error));
      if (refused.length > 0 && refused.length === calls.length) throw refused[0]!.error!;
    }
    const values: (WireValue | undefined)[] = new Array<WireValue | undefined>(pending.length);
    try {
      for (let i = 0; i < pending.length; i++) {
        const p = pending[i]!;
        if (failed.has(p.job)) continue;
        if (p.group.error) {
          if (!failed.has(p.job)) failed.set(p.job, p.group.error);
        } else
          try {
            const value = this.open(p);
            values[i] = sdkForm ? (toSdkValue(value) as WireValue) : value;
          } catch (error) {
            fail(p.job, error);
          }
      }
    } finally {
      for (const group of calls) group.plain?.fill(0);
    }
    const skipped: SkippedItem<J>[] = [];
    if (failed.size > 0) {
      const failures = [...failed].map(([job, error]) => ({
        job,
        error,
        item: describe(job, error),
      }));
      if (this.config.undecryptableItems !== "skip" || failures.some((f) => !f.job.skippable))
        throw undecryptableError(failures);
      for (const f of failures) {
        this.emit({ type: "undecryptable", ...f.item });
        skipped.push({ job: f.job, error: f.error });
      }
    }
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      if (!failed.has(p.job)) setSlot(p.slot, values[i]!);
    }
    return skipped;
  }

  /** Finds the values of one item to decrypt, checking each against its field's rules. */
  private collectDecrypt<J extends ItemJob>(
    job: J,
    pending: PendingDecrypt<J>[],
    slots: FieldSlot[],
    collectSlot: (slot: FieldSlot) => void,
    reads: Reads,
  ): void {
    const { table, item } = job;
    let key: BindingKey | undefined;
    for (const configured of table.fields) {
      slots.length = 0;
      forEachSlot(item, configured.segments, collectSlot);
      if (slots.length === 0) continue;
      let field = configured;
      const at = { table: table.name, field: field.path };
      if (field.mode === "WriteOnly") {
        // Returned as stored, with no KMS call; remembered so that writing it back keeps it (without a key it cannot be written back unchanged).
        try {
          key ??= itemKey(table, item, job.key, at);
        } catch {
          continue;
        }
        let readAs: ResolvedField;
        try {
          readAs = fieldForItem(table, configured, item, job.key);
        } catch {
          continue; // no tenant, no key and context: it cannot be written back unchanged
        }
        for (const slot of slots) {
          const text = (slot.value as { S?: unknown }).S;
          // Precondition: only a stored ciphertext this field reads is remembered; legacy plaintext written back must be encrypted, not kept.
          if (typeof text !== "string" || !isStoredCiphertextText(text)) continue;
          this.handedOut.record(table.logicalName, handedOutName(readAs), key, text);
          if (readAs !== configured)
            this.handedOut.record(table.logicalName, field.path, key, text);
        }
        continue;
      }
      for (const slot of slots) {
        const value = slot.value as { S?: unknown };
        if (typeof value.S !== "string" || !value.S.startsWith(ENCRYPTED_PREFIX)) {
          if (!field.allowPlaintext) {
            throw new EncryptionError(
              "ciphertext.plaintextNotAllowed",
              `"${field.path}" holds a value that is not encrypted. If existing plaintext is still being encrypted, set allowPlaintext: true on this field, its table or the config until the migration is done (each plaintext read then emits an onEvent "plaintext" event); otherwise the value was written around the plugin.`,
              at,
            );
          }
          this.emit({ type: "plaintext", table: table.name, field: field.path });
          continue; // legacy plaintext, returned as it is
        }
        // The key and context this item's attributes choose (once per item and field).
        if (field === configured) field = fieldForItem(table, configured, item, job.key);
        // Values under the data key this field's previous value used share its text prefix: only their IV, body and tag are decoded.
        const head = reads.heads.get(field);
        const envelope = head && envelopeWithHead(value.S, head, at);
        if (envelope) {
          key ??= itemKey(table, item, job.key, at);
          pending.push({
            slot,
            field,
            table,
            key,
            stored: { format: "native", envelope },
            group: head.group,
            job,
          });
          continue;
        }
        const stored = parseStoredValue(value.S, at);
        // Precondition: a field reads only the formats it writes or lists in acceptFormats; pydynox's format binds nothing and could be copied in from any item.
        if (!field.accepts.has(stored.format)) {
          throw new EncryptionError(
            "ciphertext.formatNotAllowed",
            `"${field.path}" holds a value in the ${FORMAT_NAMES[stored.format]}, which this field does not accept; list "${stored.format}" in its acceptFormats if such values are legitimate`,
            at,
          );
        }
        key ??= itemKey(table, item, job.key, at);
        const p = { slot, field, table, key, stored, job } as PendingDecrypt<J>;
        let callKey: string;
        if (stored.format === "kms") {
          callKey = `kms:${createHash("sha256")
            .update(stored.blob)
            .update(canonicalContext(directContext(p)))
            .update(field.decryptCachePrefix)
            .digest("hex")}`;
        } else {
          callKey = decryptCacheKey(
            field.decryptCachePrefix,
            stored.format === "native" ? stored.envelope.wrapped : stored.value.wrapped,
          );
        }
        let group = reads.groups.get(callKey);
        if (!group) reads.groups.set(callKey, (group = { callKey, first: p }));
        p.group = group;
        if (stored.format === "native")
          reads.heads.set(field, { ...envelopeHead(value.S, stored.envelope), group });
        pending.push(p);
      }
    }
  }

  /** Makes the KMS call a group of values needs: opens their data key (cached) or, for the kms scheme, the value. */
  private async unwrap(group: KeyGroup): Promise<void> {
    const p = group.first;
    const keyIds = p.field.readKeyIds;
    if (p.stored.format === "kms") {
      const blob = p.stored.blob;
      const plaintext = await this.timed("decrypt", () =>
        this.provider.decrypt!(blob, directContext(p), keyIds),
      );
      group.plain = Buffer.from(plaintext);
      plaintext.fill(0);
      return;
    }
    const wrapped =
      p.stored.format === "native" ? p.stored.envelope.wrapped : p.stored.value.wrapped;
    const load = () =>
      this.timed("decryptDataKey", () =>
        this.provider.decryptDataKey(wrapped, { ...p.field.context }, keyIds),
      );
    group.dataKey = await this.cache.forDecrypt(group.callKey, wrapped, load);
  }

  private open(p: PendingDecrypt): WireValue {
    const stored = p.stored;
    if (stored.format === "kms") return decodeValue(p.group.plain!, where(p));
    const key = p.group.dataKey!.key;
    if (stored.format === "pydynox") {
      const plaintext = open(key, stored.value, undefined, where(p));
      try {
        return { S: plaintext.toString("utf8") };
      } finally {
        plaintext.fill(0);
      }
    }
    const at = where(p);
    const plaintext = open(key, stored.envelope, this.aadFor(p, stored.envelope.version), at);
    try {
      return decodeValue(plaintext, at);
    } finally {
      plaintext.fill(0);
    }
  }
}
