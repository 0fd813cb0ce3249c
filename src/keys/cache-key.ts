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
 * The part of an opened data key's cache key that depends only on the field:
 * the provider, the encryption context and the KMS keys allowed to unwrap the
 * field's values. The context is in it because KMS would refuse the wrapped
 * key under another context; the allowed keys because a data key opened for a
 * field that accepts key A must not be served to a field that accepts only B.
 * Parts are separated by NUL, which neither a provider id, the context's JSON
 * text, a JSON list of key ids nor base64 contains.
 */
export function decryptCachePrefix(
  providerId: string,
  contextText: string,
  keyIds: readonly string[],
): string {
  return `dfe/decrypt/v2\u0000${providerId}\u0000${contextText}\u0000${JSON.stringify(keyIds)}\u0000`;
}

/**
 * Cache key of an opened data key: the field's {@link decryptCachePrefix} and
 * the wrapped bytes. Built without hashing, on the read hot path.
 */
export function decryptCacheKey(prefix: string, wrapped: Uint8Array): string {
  return (
    prefix + Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength).toString("base64")
  );
}
