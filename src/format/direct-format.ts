import { malformed, toStored } from "./stored-text";

/** First byte of the direct KMS scheme's format. */
export const DIRECT_KMS_VERSION = 0xde;

/**
 * The direct KMS scheme: `0xDE | KMS CiphertextBlob`. KMS `Encrypt` encrypted
 * the encoded value (see value-codec.ts) with the field's context plus the
 * binding (table, field, a digest of the key) as its encryption context.
 */
export function parseDirectBytes(bytes: Buffer, where: { table: string; field: string }): Buffer {
  if (bytes.length < 2) throw malformed(where, "truncated");
  return bytes.subarray(1);
}

export function toDirect(blob: Uint8Array): string {
  return toStored(Buffer.concat([Buffer.of(DIRECT_KMS_VERSION), blob]));
}
