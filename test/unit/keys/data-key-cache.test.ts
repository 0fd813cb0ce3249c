import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { DataKeyCache, type DataKeyCacheLimits } from "../../../src/keys/data-key-cache";
import type { DataKey } from "../../../src/keys/key-provider";

const limits = (overrides: Partial<DataKeyCacheLimits> = {}): DataKeyCacheLimits => ({
  enabled: true,
  maxAgeMs: 1000,
  maxUses: 10,
  maxEntries: 3,
  ...overrides,
});

/** The key bytes a cache entry holds (and zeroes on eviction). */
const material = (key: unknown): Buffer => (key as { material: Buffer }).material;
const zeroed = (key: unknown): boolean => material(key).every((b) => b === 0);

/**
 * A provider stand-in that counts the data keys it made. Each load settles on
 * a later turn of the event loop, so calls made in one turn overlap it.
 */
function counter() {
  const made: DataKey[] = [];
  const load = (): Promise<DataKey> => {
    const key = { plaintext: randomBytes(32), wrapped: randomBytes(8) };
    made.push({ plaintext: Buffer.from(key.plaintext), wrapped: key.wrapped });
    return new Promise((r) => setImmediate(() => r(key)));
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
    const { made, load } = counter();
    const a = await cache.forEncrypt("a", 1, load);
    const b = await cache.forEncrypt("b", 1, load);
    await cache.forEncrypt("a", 1, load); // a is now the most recently used
    const c = await cache.forEncrypt("c", 1, load); // evicts b
    expect(cache.size).toBe(2);
    expect(made).toHaveLength(3);
    expect(zeroed(b)).toBe(true);
    expect(zeroed(a)).toBe(false);
    expect(zeroed(c)).toBe(false);
    // a is still cached; b is gone, so asking for it makes a new key.
    expect(await cache.forEncrypt("a", 1, load)).toBe(a);
    expect(made).toHaveLength(3);
    const b2 = await cache.forEncrypt("b", 1, load);
    expect(made).toHaveLength(4);
    expect(b2.wrapped).not.toBe(b.wrapped);
  });

  it("clear() zeroes and drops every entry", async () => {
    const cache = new DataKeyCache(limits());
    const { load } = counter();
    const keys = [
      await cache.forEncrypt("a", 1, load),
      await cache.forDecrypt("w", Buffer.of(1), () => Promise.resolve(randomBytes(32))),
    ];
    expect(keys.some(zeroed)).toBe(false);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(keys.every(zeroed)).toBe(true);
  });

  it("zeroes an expired entry's key bytes when it is dropped", async () => {
    let now = 0;
    const cache = new DataKeyCache(limits(), undefined, () => now);
    const { load } = counter();
    const a = await cache.forEncrypt("a", 1, load);
    now = 5000;
    await cache.forEncrypt("b", 1, load);
    expect(zeroed(a)).toBe(true);
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
    for (const k of keys) expect(zeroed(k)).toBe(true);
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

  describe("maxUses counts every value a reservation covers", () => {
    it("tryReserve adds its count: with maxUses 2, a third value is refused the cached key", async () => {
      const cache = new DataKeyCache(limits({ maxUses: 2 }));
      const { made, load } = counter();
      const first = await cache.forEncrypt("a", 1, load);
      expect(cache.tryReserve("a", 1)).toBe(first);
      expect(cache.tryReserve("a", 1)).toBeUndefined();
      expect(await cache.forEncrypt("a", 1, load)).not.toBe(first);
      expect(made).toHaveLength(2);
    });

    it("tryReserve refuses a reservation larger than the uses left, and grants one that fits exactly", async () => {
      const cache = new DataKeyCache(limits({ maxUses: 10 }));
      const { load } = counter();
      const first = await cache.forEncrypt("a", 1, load);
      expect(cache.tryReserve("a", 10)).toBeUndefined();
      expect(cache.tryReserve("a", 9)).toBe(first);
      expect(cache.tryReserve("a", 1)).toBeUndefined();
    });

    it("forEncrypt counts the uses already made: one value, then ten with maxUses 10, needs a second key", async () => {
      const cache = new DataKeyCache(limits({ maxUses: 10 }));
      const { made, load } = counter();
      const first = await cache.forEncrypt("a", 1, load);
      const second = await cache.forEncrypt("a", 10, load);
      expect(second).not.toBe(first);
      expect(made).toHaveLength(2);
      expect(zeroed(first)).toBe(true); // used up, so evicted
      expect(cache.tryReserve("a", 1)).toBeUndefined(); // the new key's 10 uses are spent too
    });

    it("forEncrypt reuses a key for a reservation that fits its uses left exactly", async () => {
      const cache = new DataKeyCache(limits({ maxUses: 10 }));
      const { made, load } = counter();
      const first = await cache.forEncrypt("a", 3, load);
      expect(await cache.forEncrypt("a", 7, load)).toBe(first);
      expect(made).toHaveLength(1);
      expect(await cache.forEncrypt("a", 1, load)).not.toBe(first);
      expect(made).toHaveLength(2);
    });

    it("no key serves more than maxUses values, for any sequence of reservations (sequential and concurrent)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 12 }),
          fc.array(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.boolean(),
          async (maxUses, rounds, viaTryReserve) => {
            const cache = new DataKeyCache(limits({ maxUses }));
            const { load } = counter();
            const uses = new Map<unknown, number>();
            const reserve = async (count: number) => {
              const n = Math.min(count, maxUses); // the engine never asks for more than maxUses at once
              const key =
                (viaTryReserve ? cache.tryReserve("a", n) : undefined) ??
                (await cache.forEncrypt("a", n, load));
              uses.set(key, (uses.get(key) ?? 0) + n);
            };
            for (const round of rounds) await Promise.all(round.map(reserve));
            expect(Math.max(...uses.values())).toBeLessThanOrEqual(maxUses);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
