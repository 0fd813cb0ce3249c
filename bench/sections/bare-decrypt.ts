import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";

/**
 * The floor of any read path that decrypts values one by one with
 * `node:crypto`: bare AES-256-GCM (`createDecipheriv`, `setAuthTag`,
 * `update`, `final`) of `count` values the size of the bench's encrypted
 * fields, with no associated data, parsing, binding or decoding. The page
 * benchmarks run it after the plain client's request, beside the plugin, so
 * that a page's target can be compared with what per-value decryption alone
 * costs on the same machine in the same run.
 */
export function bareDecryptor(count: number): () => number {
  const key = createSecretKey(randomBytes(32));
  const values = Array.from({ length: count }, (_, i) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const plaintext = i % 2 ? "S4111111111111111" : "S123-45-6789";
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { iv, body, tag: cipher.getAuthTag() };
  });
  return () => {
    let bytes = 0;
    for (const v of values) {
      const decipher = createDecipheriv("aes-256-gcm", key, v.iv);
      decipher.setAuthTag(v.tag);
      bytes += decipher.update(v.body).length;
      decipher.final();
    }
    return bytes;
  };
}
