import { EncryptionError } from "../errors/encryption-error";
import { malformed, storedBytes } from "./stored-text";
import { type Envelope, ENVELOPE_VERSION, parseEnvelopeBytes } from "./envelope";
import { DIRECT_KMS_VERSION, parseDirectBytes } from "./direct-format";
import { parsePydynoxBytes, PYDYNOX_VERSION, type PydynoxValue } from "./pydynox-format";

/** A stored `ENC:` value, parsed but not decrypted. The first byte tells the format. */
export type StoredValue =
  | { format: "native"; envelope: Envelope }
  | { format: "pydynox"; value: PydynoxValue }
  | { format: "kms"; blob: Buffer };

/**
 * Parses a stored value of any format this library reads: its own envelope
 * (`0xDF`), pydynox's (`0x01`) and the direct KMS scheme (`0xDE`).
 */
export function parseStoredValue(
  text: string,
  where: { table: string; field: string },
): StoredValue {
  const bytes = storedBytes(text);
  if (!bytes) throw malformed(where, "the text after ENC: is not canonical base64");
  switch (bytes[0]) {
    case ENVELOPE_VERSION:
      return { format: "native", envelope: parseEnvelopeBytes(bytes, where) };
    case PYDYNOX_VERSION:
      return { format: "pydynox", value: parsePydynoxBytes(bytes, where) };
    case DIRECT_KMS_VERSION:
      return { format: "kms", blob: parseDirectBytes(bytes, where) };
    default:
      throw new EncryptionError(
        "ciphertext.unsupportedVersion",
        `The stored value of "${where.field}" has unknown format version ${bytes[0]}`,
        where,
      );
  }
}

/** True when `text` parses as a stored value of a known format (it is not decrypted, so this proves nothing about where it belongs). */
export function isStoredCiphertext(text: string): boolean {
  try {
    parseStoredValue(text, { table: "", field: "" });
    return true;
  } catch {
    return false;
  }
}
