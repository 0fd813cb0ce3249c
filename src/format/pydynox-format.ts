import { createCipheriv, type KeyObject } from "node:crypto";
import { randomIv } from "../util/random-iv";
import { IV_BYTES, TAG_BYTES } from "./envelope";
import { malformed, toStored } from "./stored-text";

/** First byte of pydynox's format. */
export const PYDYNOX_VERSION = 0x01;

/**
 * pydynox 1.3's stored format: `0x01 | u16 BE wrapped-key length | KMS CiphertextBlob |
 * 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag`, with no associated data
 * and a UTF-8 string as the plaintext. It binds nothing to the table, item or field.
 */
export interface PydynoxValue {
  wrapped: Buffer;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
}

export function parsePydynoxBytes(
  bytes: Buffer,
  where: { table: string; field: string },
): PydynoxValue {
  if (bytes.length < 3) throw malformed(where, "truncated");
  const length = bytes.readUInt16BE(1);
  if (length === 0 || bytes.length < 3 + length + IV_BYTES + TAG_BYTES)
    throw malformed(where, "truncated");
  const iv = bytes.subarray(3 + length, 3 + length + IV_BYTES);
  return {
    wrapped: bytes.subarray(3, 3 + length),
    iv,
    body: bytes.subarray(3 + length + IV_BYTES, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** Writes a string in pydynox's format. `iv` is fixed only for test vectors. */
export function sealPydynox(
  key: KeyObject,
  wrapped: Uint8Array,
  text: string,
  iv: Buffer = randomIv(),
): string {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(wrapped.length);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return toStored(
    Buffer.concat([Buffer.of(PYDYNOX_VERSION), length, wrapped, iv, body, cipher.getAuthTag()]),
  );
}
