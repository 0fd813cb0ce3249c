import { createSecretKey, type KeyObject } from "node:crypto";
import type { DataKey } from "./key-provider";

/** A data key ready for AES-GCM, and its wrapped form. */
export interface UsableDataKey {
  readonly key: KeyObject;
  readonly wrapped: Uint8Array;
}

interface Entry extends UsableDataKey {
  /** The plaintext key bytes; zeroed when the entry is evicted. */
  readonly material: Buffer;
  readonly createdAt: number;
  uses: number;
}

/** Resolved cache limits. */
export interface DataKeyCacheLimits {
  enabled: boolean;
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

export interface CacheObserver {
  (use: "encrypt" | "decrypt", hit: boolean): void;
}

function toEntry(plaintext: Uint8Array, wrapped: Uint8Array, now: number): Entry {
  const material = Buffer.alloc(plaintext.length);
  material.set(plaintext);
  plaintext.fill(0);
  return { material, key: createSecretKey(material), wrapped, createdAt: now, uses: 0 };
}

/**
 * A bounded LRU of plaintext data keys, treated as security code:
 * - entries expire after `maxAgeMs` and encrypt at most `maxUses` values;
 * - evicted entries have their key bytes zeroed;
 * - concurrent misses for one cache key share one provider call;
 * - a failed call is never cached.
 *
 * Callers get a `KeyObject`, so zeroing an evicted entry cannot affect an
 * encryption already under way.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(
    readonly limits: DataKeyCacheLimits,
    private readonly observe: CacheObserver = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** How many values one request may encrypt with a single reservation. */
  get maxUses(): number {
    return this.limits.enabled ? this.limits.maxUses : 1;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached key for `cacheKey` with `count` encryptions reserved, if one is
   * fresh and has that many uses left; no promise, for the hot path.
   */
  tryReserve(cacheKey: string, count: number): UsableDataKey | undefined {
    if (!this.limits.enabled) return undefined;
    const entry = this.fresh(cacheKey);
    if (!entry || entry.uses + count > this.limits.maxUses) return undefined;
    entry.uses += count;
    this.observe("encrypt", true);
    return entry;
  }

  /** The cached opened key for `cacheKey`, if fresh; no promise, for the hot path. */
  peek(cacheKey: string): UsableDataKey | undefined {
    if (!this.limits.enabled) return undefined;
    const entry = this.fresh(cacheKey);
    if (entry) this.observe("decrypt", true);
    return entry;
  }

  /** Reserves `count` encryptions (at most `maxUses`) from a data key for `cacheKey`, loading one if needed. */
  async forEncrypt(
    cacheKey: string,
    count: number,
    load: () => Promise<DataKey>,
  ): Promise<UsableDataKey> {
    if (!this.limits.enabled) {
      const { plaintext, wrapped } = await load();
      return this.disposable(plaintext, wrapped);
    }
    let hit = true;
    for (;;) {
      let entry = this.fresh(cacheKey);
      if (!entry) {
        hit = false;
        entry = await this.load(cacheKey, async () => {
          const { plaintext, wrapped } = await load();
          return toEntry(plaintext, wrapped, this.now());
        });
        if (this.now() - entry.createdAt >= this.limits.maxAgeMs) continue;
      }
      if (entry.uses + count <= this.limits.maxUses) {
        entry.uses += count;
        this.observe("encrypt", hit);
        return entry;
      }
      // Used up: drop it, so that this caller and the next ones make a new key.
      if (this.entries.get(cacheKey) === entry) this.evict(cacheKey);
      hit = false;
    }
  }

  /** The opened data key for `cacheKey`, loading it once however many callers ask at the same time. */
  async forDecrypt(
    cacheKey: string,
    wrapped: Uint8Array,
    load: () => Promise<Uint8Array>,
  ): Promise<UsableDataKey> {
    if (!this.limits.enabled) return this.disposable(await load(), wrapped);
    const entry = this.fresh(cacheKey);
    this.observe("decrypt", entry !== undefined);
    if (entry) return entry;
    return this.load(cacheKey, async () => toEntry(await load(), wrapped, this.now()));
  }

  /** Zeroes and drops every entry. */
  clear(): void {
    for (const key of [...this.entries.keys()]) this.evict(key);
  }

  private disposable(plaintext: Uint8Array, wrapped: Uint8Array): UsableDataKey {
    const entry = toEntry(plaintext, wrapped, this.now());
    entry.material.fill(0); // the KeyObject keeps its own copy; nothing else needs the bytes
    return entry;
  }

  /** The entry if present and younger than maxAgeMs (moved to most recently used); an expired one is evicted. */
  private fresh(cacheKey: string): Entry | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    if (this.now() - entry.createdAt >= this.limits.maxAgeMs) {
      this.evict(cacheKey);
      return undefined;
    }
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, entry);
    return entry;
  }

  private load(cacheKey: string, make: () => Promise<Entry>): Promise<Entry> {
    let promise = this.pending.get(cacheKey);
    if (!promise) {
      promise = make()
        .then((entry) => {
          this.insert(cacheKey, entry);
          return entry;
        })
        .finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, promise);
    }
    return promise;
  }

  private insert(cacheKey: string, entry: Entry): void {
    this.evict(cacheKey);
    this.entries.set(cacheKey, entry);
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (now - e.createdAt >= this.limits.maxAgeMs) this.evict(key);
    }
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.evict(oldest);
    }
  }

  private evict(cacheKey: string): void {
    const entry = this.entries.get(cacheKey);
    if (!entry) return;
    entry.material.fill(0);
    this.entries.delete(cacheKey);
  }
}
