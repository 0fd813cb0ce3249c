import { createCipheriv, createDecipheriv, type KeyObject } from "node:crypto";
import { randomIv } from "../util/random-iv";
import { EncryptionError } from "../errors/encryption-error";
import { malformed, toStored } from "./stored-text";

/** First byte of this library's envelope (version 1). pydynox's format starts with 0x01. */
export const ENVELOPE_VERSION = 0xdf;

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

export function parseEnvelopeBytes(
  bytes: Buffer,
  where: { table: string; field: string },
): Envelope {
  let offset = 1;
  let length = bytes[offset++];
  if (length === 0xff) {
    if (bytes.length < offset + 2) throw malformed(where, "truncated");
    length = bytes.readUInt16BE(offset);
    offset += 2;
    // Precondition: one length has one encoding; the long form is only for lengths of 255 and more, so no two stored texts carry the same envelope.
    if (length < 0xff) throw malformed(where, "non-canonical wrapped-key length");
  }
  if (
    length === undefined ||
    length === 0 ||
    bytes.length < offset + length + IV_BYTES + 1 + TAG_BYTES
  )
    throw malformed(where, "truncated");
  const wrapped = bytes.subarray(offset, offset + length);
  offset += length;
  const iv = bytes.subarray(offset, offset + IV_BYTES);
  offset += IV_BYTES;
  return {
    version: ENVELOPE_VERSION,
    wrapped,
    iv,
    body: bytes.subarray(offset, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** Encrypts `plaintext` under a data key and returns the stored string. `iv` is fixed only for test vectors. */
export function seal(
  key: KeyObject,
  wrapped: Uint8Array,
  plaintext: Buffer,
  aad: Buffer,
  iv: Buffer = randomIv(),
): string {
  if (wrapped.length === 0 || wrapped.length > 0xffff)
    throw new EncryptionError("kms.failed", "The wrapped data key must be 1 to 65535 bytes");
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return toStored(
    Buffer.concat([
      Buffer.of(ENVELOPE_VERSION),
      lengthBytes(wrapped.length),
      wrapped,
      iv,
      body,
      cipher.getAuthTag(),
    ]),
  );
}

/**
 * What every stored value under one data key shares: the text up to the last
 * full base64 group inside the wrapped key, and the envelope it came from.
 * A page usually holds many values under one data key; recognising them by
 * this prefix lets a reader decode only each value's IV, body and tag.
 */
export interface EnvelopeHead {
  /** `ENC:` and the base64 of the version, length and wrapped-key bytes that fill whole 3-byte groups. */
  readonly prefix: string;
  readonly version: number;
  readonly wrapped: Buffer;
  /** How many bytes of the wrapped key fall after the prefix (0 to 2). */
  readonly leftover: number;
}

/** The head of a fully parsed envelope, from its canonical stored text. */
export function envelopeHead(text: string, envelope: Envelope): EnvelopeHead {
  const headerBytes = envelope.wrapped.length < 0xff ? 2 : 4;
  const covered = headerBytes + envelope.wrapped.length;
  const groups = Math.floor(covered / 3);
  return {
    prefix: text.slice(0, 4 + groups * 4),
    version: envelope.version,
    wrapped: envelope.wrapped,
    leftover: covered - groups * 3,
  };
}

/**
 * The envelope of `text` if it starts with `head`'s prefix and carries the
 * same wrapped key: only the rest is base64-decoded, and it must be canonical
 * on its own (the prefix was, as whole groups). Undefined when `text` is under
 * another data key; malformed when the rest is not a valid envelope tail.
 */
export function envelopeWithHead(
  text: string,
  head: EnvelopeHead,
  where: { table: string; field: string },
): Envelope | undefined {
  if (!text.startsWith(head.prefix)) return undefined;
  const tail = text.slice(head.prefix.length);
  const bytes = Buffer.from(tail, "base64");
  if (tail.length % 4 !== 0 || bytes.toString("base64") !== tail)
    throw malformed(where, "the text after ENC: is not canonical base64");
  const wrappedEnd = head.wrapped.length;
  for (let i = 0; i < head.leftover; i++)
    if (bytes[i] !== head.wrapped[wrappedEnd - head.leftover + i]) return undefined;
  const offset = head.leftover;
  if (bytes.length < offset + IV_BYTES + 1 + TAG_BYTES) throw malformed(where, "truncated");
  return {
    version: head.version,
    wrapped: head.wrapped,
    iv: bytes.subarray(offset, offset + IV_BYTES),
    body: bytes.subarray(offset + IV_BYTES, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** Decrypts with AES-256-GCM; a changed or moved value fails with `ciphertext.tampered`. */
export function open(
  key: KeyObject,
  parts: { iv: Buffer; body: Buffer; tag: Buffer },
  aad: Buffer | undefined,
  where: { table: string; field: string },
): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, parts.iv);
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(parts.tag);
  // GCM is a stream mode: update returns the whole plaintext and final only checks the tag.
  const plaintext = decipher.update(parts.body);
  try {
    decipher.final();
    return plaintext;
  } catch (error) {
    plaintext.fill(0);
    throw new EncryptionError(
      "ciphertext.tampered",
      `The stored value of "${where.field}" failed authentication: it was changed, or copied from another item, field or table`,
      { ...where, cause: error },
    );
  }
}
