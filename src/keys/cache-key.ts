import { createHash } from "node:crypto";
import type { EncryptionContext } from "../config/config-types";
import { canonicalContext } from "../util/canonical-context";

function digest(parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest("hex");
}

/**
 * Cache key of a data key used for encrypting: every input that changes the
 * key (provider, KMS key id, encryption context) is in it, length-prefixed so
 * no two inputs collide.
 */
export function encryptCacheKey(
  providerId: string,
  keyId: string,
  context: EncryptionContext,
): string {
  return digest(["dfe/encrypt/v1", providerId, keyId, canonicalContext(context)]);
}

/**
 * Cache key of an opened data key: the provider, the encryption context and
 * the wrapped bytes. The context is in it because KMS would refuse the
 * wrapped key under another context; a cache keyed on the bytes alone would
 * not. It is built without hashing, on the read hot path: the parts are
 * separated by NUL, which neither a provider id nor the context's JSON text
 * contains, and base64 has no NUL either.
 */
export function decryptCacheKey(
  providerId: string,
  wrapped: Uint8Array,
  context: EncryptionContext | string,
): string {
  const contextText = typeof context === "string" ? context : canonicalContext(context);
  return `dfe/decrypt/v1\u0000${providerId}\u0000${contextText}\u0000${Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength).toString("base64")}`;
}
