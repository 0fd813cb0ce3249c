import { EncryptionError } from "../errors/encryption-error";

/** Stored values start with this; anything else is legacy plaintext. */
export const ENCRYPTED_PREFIX = "ENC:";

type Where = { table: string; field: string };

/** The bytes after `ENC:`, decoded strictly: text that is not canonical base64 is malformed. */
export function storedBytes(text: string): Buffer | undefined {
  if (!text.startsWith(ENCRYPTED_PREFIX)) return undefined;
  const encoded = text.slice(ENCRYPTED_PREFIX.length);
  if (encoded.length === 0 || encoded.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(encoded, "base64");
  // Node's decoder skips or translates characters outside the standard alphabet; encoding back proves the text was canonical.
  return bytes.toString("base64") === encoded ? bytes : undefined;
}

export function toStored(bytes: Buffer): string {
  return ENCRYPTED_PREFIX + bytes.toString("base64");
}

export function malformed(where: Where, why: string): EncryptionError {
  return new EncryptionError(
    "ciphertext.malformed",
    `The stored value of "${where.field}" is not a valid encrypted value: ${why}`,
    where,
  );
}
