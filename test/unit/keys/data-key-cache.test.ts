import { randomBytes } from "node:crypto";
import { DataKeyCache, type DataKeyCacheLimits } from "../../../src/keys/data-key-cache";
import type { DataKey } from "../../../src/keys/key-provider";

const limits = (overrides: Partial<DataKeyCacheLimits> = {}): DataKeyCacheLimits => ({
  enabled: true,
  maxAgeMs: 1000,
  maxUses: 10,
  maxEntries: 3,
  ...overrides,
});

function counter() {
  const made: DataKey[] = [];
  const load = (): Promise<DataKey> => {
    const key = { plaintext: randomBytes(32), wrapped: randomBytes(8) };
    made.push({ plaintext: Buffer.from(key.plaintext), wrapped: key.wrapped });
    return new Promise((r) => setTimeout(() => r(key), 5));
  };
  return { made, load };
}

describe("DataKeyCache", () => {
  it("merges concurrent misses for one cache key into one load", async () => {
    const cache = new DataKeyCache(limits({ maxUses: 1000 }));
    const { made, load } = counter();
    const keys = await Promise.all(
      Array.from({ length: 200 }, () => cache.forEncrypt("a", 1, load)),
    );
    expect(made).toHaveLength(1);
    expect(new Set(keys.map((k) => k.wrapped)).size).toBe(1);
  });

  it("makes a new key once maxUses values were encrypted, also under concurrency", async () => {
    const cache = new DataKeyCache(limits({ maxUses: 10 }));
    const { made, load } = counter();
    const keys = await Promise.all(
      Array.from({ length: 95 }, () => cache.forEncrypt("a", 1, load)),
    );
    expect(made).toHaveLength(10);
    const uses = new Map<Uint8Array, number>();
    for (const k of keys) uses.set(k.wrapped, (uses.get(k.wrapped) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(10);
  });

  it("expires keys after maxAgeMs", async () => {
    let now = 0;
    const cache = new DataKeyCache(limits(), undefined, () => now);
    const { made, load } = counter();
    await cache.forEncrypt("a", 1, load);
    now = 999;
    await cache.forEncrypt("a", 1, load);
    expect(made).toHaveLength(1);
    now = 1000;
    await cache.forEncrypt("a", 1, load);
    expect(made).toHaveLength(2);
  });

  it("evicts the least recently used entry beyond maxEntries and zeroes its key bytes", async () => {
    const cache = new DataKeyCache(limits({ maxEntries: 2 }));
    const { load } = counter();
    const a = await cache.forEncrypt("a", 1, load);
    await cache.forEncrypt("b", 1, load);
    await cache.forEncrypt("a", 1, load); // a is now the most recently used
    await cache.forEncrypt("c", 1, load); // evicts b
    expect(cache.size).toBe(2);
    const material = (a as unknown as { material: Buffer }).material;
    expect(material.some((b) => b !== 0)).toBe(true);
    cache.clear();
    expect(material.every((b) => b === 0)).toBe(true);
  });

  it("zeroes an expired entry's key bytes when it is dropped", async () => {
    let now = 0;
    const cache = new DataKeyCache(limits(), undefined, () => now);
    const { load } = counter();
    const a = await cache.forEncrypt("a", 1, load);
    now = 5000;
    await cache.forEncrypt("b", 1, load);
    expect((a as unknown as { material: Buffer }).material.every((b) => b === 0)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it("never caches a failed load, and the next call tries again", async () => {
    const cache = new DataKeyCache(limits());
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new Error("KMS down"));
    };
    await expect(
      Promise.all([cache.forEncrypt("a", 1, failing), cache.forEncrypt("a", 1, failing)]),
    ).rejects.toThrow("KMS down");
    expect(calls).toBe(1);
    expect(cache.size).toBe(0);
    const { made, load } = counter();
    await cache.forEncrypt("a", 1, load);
    expect(made).toHaveLength(1);
  });

  it("with caching disabled, every reservation makes its own key and keeps no plaintext", async () => {
    const cache = new DataKeyCache(limits({ enabled: false }));
    const { made, load } = counter();
    const keys = await Promise.all([
      cache.forEncrypt("a", 1, load),
      cache.forEncrypt("a", 1, load),
    ]);
    expect(made).toHaveLength(2);
    expect(cache.size).toBe(0);
    expect(cache.maxUses).toBe(1);
    for (const k of keys)
      expect((k as unknown as { material: Buffer }).material.every((b) => b === 0)).toBe(true);
  });

  it("zeroes the plaintext the provider returned once it holds its own copy", async () => {
    const cache = new DataKeyCache(limits());
    const plaintext = randomBytes(32);
    await cache.forEncrypt("a", 1, () => Promise.resolve({ plaintext, wrapped: randomBytes(4) }));
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });

  it("merges concurrent decrypt misses and reports hits and misses", async () => {
    const events: [string, boolean][] = [];
    const cache = new DataKeyCache(limits(), (use, hit) => events.push([use, hit]));
    let calls = 0;
    const load = () => {
      calls += 1;
      return Promise.resolve(randomBytes(32));
    };
    await Promise.all(Array.from({ length: 50 }, () => cache.forDecrypt("w", Buffer.of(1), load)));
    await cache.forDecrypt("w", Buffer.of(1), load);
    expect(calls).toBe(1);
    expect(events.filter(([, hit]) => hit)).toHaveLength(1);
    expect(events.filter(([, hit]) => !hit)).toHaveLength(50);
  });
});
