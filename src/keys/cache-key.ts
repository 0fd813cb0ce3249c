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
 * Cache key of an opened data key: the wrapped bytes and the encryption
 * context. The context is in it because KMS would refuse the wrapped key under
 * another context; a cache keyed on the bytes alone would not.
 */
export function decryptCacheKey(
  providerId: string,
  wrapped: Uint8Array,
  context: EncryptionContext,
): string {
  return digest(["dfe/decrypt/v1", providerId, wrapped, canonicalContext(context)]);
}
