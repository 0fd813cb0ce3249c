import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from "node:crypto";
import { EncryptionError } from "../errors/encryption-error";

/** Stored values start with this; anything else is legacy plaintext. */
export const ENCRYPTED_PREFIX = "ENC:";
/** First byte of this library's envelope (version 1). pydynox's format starts with 0x01. */
export const ENVELOPE_VERSION = 0xdf;
/** First byte of pydynox's format. */
export const PYDYNOX_VERSION = 0x01;

export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/**
 * The envelope inside `ENC:<base64>`:
 * `0xDF | wrapped-key length (1 byte, or 0xFF then 2 bytes big-endian) | wrapped data key | 12-byte IV | AES-256-GCM ciphertext | 16-byte tag`.
 * See docs/format.md.
 */
export interface Envelope {
  version: number;
  wrapped: Buffer;
  iv: Buffer;
  /** Ciphertext without the tag. */
  body: Buffer;
  tag: Buffer;
}

function lengthBytes(length: number): Buffer {
  if (length < 0xff) return Buffer.of(length);
  const out = Buffer.alloc(3);
  out[0] = 0xff;
  out.writeUInt16BE(length, 1);
  return out;
}

/** Decodes the base64 after `ENC:` strictly: any text that is not the canonical encoding is malformed. */
function decodeBase64(text: string): Buffer | undefined {
  const encoded = text.slice(ENCRYPTED_PREFIX.length);
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded))
    return undefined;
  const bytes = Buffer.from(encoded, "base64");
  return bytes.toString("base64") === encoded ? bytes : undefined;
}

/** Parses a stored `ENC:` string, without decrypting it. */
export function parseEnvelope(text: string, where: { table: string; field: string }): Envelope {
  const malformed = (why: string) =>
    new EncryptionError(
      "ciphertext.malformed",
      `The stored value of "${where.field}" is not a valid encrypted value: ${why}`,
      where,
    );
  const bytes = decodeBase64(text);
  if (!bytes) throw malformed("the text after ENC: is not canonical base64");
  const version = bytes[0];
  if (version !== ENVELOPE_VERSION) {
    throw new EncryptionError(
      "ciphertext.unsupportedVersion",
      version === PYDYNOX_VERSION
        ? `The stored value of "${where.field}" is in pydynox's format, which this version does not read yet`
        : `The stored value of "${where.field}" has unknown format version ${version}`,
      where,
    );
  }
  let offset = 1;
  let length = bytes[offset++];
  if (length === 0xff) {
    if (bytes.length < offset + 2) throw malformed("truncated");
    length = bytes.readUInt16BE(offset);
    offset += 2;
  }
  if (
    length === undefined ||
    length === 0 ||
    bytes.length < offset + length + IV_BYTES + 1 + TAG_BYTES
  )
    throw malformed("truncated");
  const wrapped = bytes.subarray(offset, offset + length);
  offset += length;
  const iv = bytes.subarray(offset, offset + IV_BYTES);
  offset += IV_BYTES;
  return {
    version,
    wrapped,
    iv,
    body: bytes.subarray(offset, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** True when `text` parses as this library's envelope (it is not decrypted, so this proves nothing about where it belongs). */
export function isEnvelope(text: string): boolean {
  if (!text.startsWith(ENCRYPTED_PREFIX)) return false;
  try {
    parseEnvelope(text, { table: "", field: "" });
    return true;
  } catch {
    return false;
  }
}

/** Encrypts `plaintext` under a data key and returns the stored string. `iv` is fixed only for test vectors. */
export function seal(
  key: KeyObject,
  wrapped: Uint8Array,
  plaintext: Buffer,
  aad: Buffer,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  if (wrapped.length === 0 || wrapped.length > 0xffff)
    throw new EncryptionError("kms.failed", "The wrapped data key must be 1 to 65535 bytes");
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  const bytes = Buffer.concat([
    Buffer.of(ENVELOPE_VERSION),
    lengthBytes(wrapped.length),
    wrapped,
    iv,
    body,
    cipher.getAuthTag(),
  ]);
  return ENCRYPTED_PREFIX + bytes.toString("base64");
}

/** Decrypts an envelope; a changed or moved value fails with `ciphertext.tampered`. */
export function open(
  key: KeyObject,
  envelope: Envelope,
  aad: Buffer,
  where: { table: string; field: string },
): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, envelope.iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(envelope.tag);
  try {
    return Buffer.concat([decipher.update(envelope.body), decipher.final()]);
  } catch (error) {
    throw new EncryptionError(
      "ciphertext.tampered",
      `The stored value of "${where.field}" failed authentication: it was changed, or copied from another item, field or table`,
      { ...where, cause: error },
    );
  }
}
