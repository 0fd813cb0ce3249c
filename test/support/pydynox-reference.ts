import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * pydynox 1.3's stored format, written here from its description in
 * shared/notes/peers.md and independently of the library's own code:
 * "ENC:" + base64(0x01 | u16 BE wrapped-key length | KMS CiphertextBlob | 12-byte nonce | AES-256-GCM ciphertext + tag),
 * no associated data, UTF-8 plaintext.
 */
export function pydynoxEncrypt(
  dataKey: Uint8Array,
  wrapped: Uint8Array,
  text: string,
  nonce: Buffer = randomBytes(12),
): string {
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce);
  const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(3);
  header[0] = 0x01;
  header.writeUInt16BE(wrapped.length, 1);
  return `ENC:${Buffer.concat([header, wrapped, nonce, body]).toString("base64")}`;
}

/** Splits a pydynox value into its wrapped key and the rest. */
export function pydynoxParts(stored: string): { wrapped: Buffer; nonce: Buffer; body: Buffer } {
  const bytes = Buffer.from(stored.slice(4), "base64");
  if (bytes[0] !== 0x01) throw new Error(`not pydynox's format (first byte ${bytes[0]})`);
  const length = bytes.readUInt16BE(1);
  return {
    wrapped: bytes.subarray(3, 3 + length),
    nonce: bytes.subarray(3 + length, 15 + length),
    body: bytes.subarray(15 + length),
  };
}

/** Decrypts a pydynox value given the data key the wrapped key opens to. */
export function pydynoxDecrypt(dataKey: Uint8Array, stored: string): string {
  const { nonce, body } = pydynoxParts(stored);
  const decipher = createDecipheriv("aes-256-gcm", dataKey, nonce);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - 16)),
    decipher.final(),
  ]).toString("utf8");
}
