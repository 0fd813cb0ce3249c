import { createHash } from "node:crypto";
import { decryptCacheKey, decryptCachePrefix, encryptCacheKey } from "../../../src/keys/cache-key";

/** The documented scheme, computed here independently: SHA-256 over u32-length-prefixed parts. */
function expected(parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const p of parts) {
    const b = typeof p === "string" ? Buffer.from(p) : p;
    hash
      .update(
        Buffer.from([
          b.length >>> 24,
          (b.length >>> 16) & 255,
          (b.length >>> 8) & 255,
          b.length & 255,
        ]),
      )
      .update(b);
  }
  return hash.digest("hex");
}

describe("cache keys (known answers)", () => {
  it("encrypt cache key", () => {
    expect(encryptCacheKey("aws-kms", "alias/app", { tenant: "a", app: "b" })).toBe(
      encryptCacheKey("aws-kms", "alias/app", { app: "b", tenant: "a" }),
    );
    expect(encryptCacheKey("aws-kms", "alias/app", { tenant: "a" })).toMatchInlineSnapshot(
      `"18ccbd1823cc303c12c4d4b5f92f5f4116b0c86c9f31ba07af9f70f73562ad47"`,
    );
    expect(encryptCacheKey("aws-kms", "alias/app", { tenant: "a" })).toBe(
      expected(["dfe/encrypt/v1", "aws-kms", "alias/app", '[["tenant","a"]]']),
    );
  });

  it("decrypt cache key: provider, context, the keys allowed to open it, and the wrapped bytes", () => {
    const prefix = decryptCachePrefix("aws-kms", '[["tenant","a"]]', ["alias/app", "alias/old"]);
    expect(decryptCacheKey(prefix, Buffer.from("wrapped"))).toBe(
      `dfe/decrypt/v2\u0000aws-kms\u0000[["tenant","a"]]\u0000["alias/app","alias/old"]\u0000${Buffer.from("wrapped").toString("base64")}`,
    );
  });

  it("every input changes the key, and parts cannot run into each other", () => {
    const keys = new Set([
      encryptCacheKey("aws-kms", "k", {}),
      encryptCacheKey("local", "k", {}),
      encryptCacheKey("aws-kms", "k2", {}),
      encryptCacheKey("aws-kms", "k", { a: "" }),
      encryptCacheKey("aws-kms", "k", { a: "b" }),
      encryptCacheKey("aws-kmsk", "", {}),
      decryptCacheKey(decryptCachePrefix("aws-kms", "[]", ["k"]), Buffer.from("k")),
      decryptCacheKey(decryptCachePrefix("aws-kms", '[["a","b"]]', ["k"]), Buffer.from("k")),
      decryptCacheKey(decryptCachePrefix("local", "[]", ["k"]), Buffer.from("k")),
      decryptCacheKey(decryptCachePrefix("aws-kms", "[]", ["k2"]), Buffer.from("k")),
      decryptCacheKey(decryptCachePrefix("aws-kms", "[]", ["k", "k2"]), Buffer.from("k")),
      decryptCacheKey(decryptCachePrefix("aws-kms", "[]", ["k"]), Buffer.from("k2")),
    ]);
    expect(keys.size).toBe(12);
  });
});
