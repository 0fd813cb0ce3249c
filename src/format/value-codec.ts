import { EncryptionError } from "../errors/encryption-error";
import { type WireValue, wireType } from "./wire";

/**
 * Plaintext bytes of one value, so that it comes back as the same DynamoDB
 * type with the same value: a tag byte, then
 * - S: UTF-8; N: the decimal string exactly as given; B: the raw bytes;
 * - BOOL: 0 or 1; NULL: nothing;
 * - M, L, SS, NS, BS: UTF-8 DynamoDB JSON of the value.
 * The tag is encrypted with the value, so the type is not visible in storage.
 */
const TAG = { S: 1, N: 2, B: 3, BOOL: 4, NULL: 5, JSON: 6 } as const;

export function encodeValue(value: WireValue, where: { table: string; field: string }): Buffer {
  const type = wireType(value);
  const v = value as Record<string, unknown>;
  const bad = () =>
    new EncryptionError(
      "value.invalid",
      `The value of "${where.field}" is not valid DynamoDB JSON`,
      where,
    );
  switch (type) {
    case "S":
      if (typeof v.S !== "string") throw bad();
      return Buffer.concat([Buffer.of(TAG.S), Buffer.from(v.S, "utf8")]);
    case "N":
      if (typeof v.N !== "string") throw bad();
      return Buffer.concat([Buffer.of(TAG.N), Buffer.from(v.N, "utf8")]);
    case "B":
      if (typeof v.B !== "string") throw bad();
      return Buffer.concat([Buffer.of(TAG.B), Buffer.from(v.B, "base64")]);
    case "BOOL":
      if (typeof v.BOOL !== "boolean") throw bad();
      return Buffer.of(TAG.BOOL, v.BOOL ? 1 : 0);
    case "NULL":
      return Buffer.of(TAG.NULL);
    case "M":
    case "L":
    case "SS":
    case "NS":
    case "BS":
      return Buffer.concat([Buffer.of(TAG.JSON), Buffer.from(JSON.stringify(value), "utf8")]);
    default:
      throw bad();
  }
}

function notOurs(where: { table: string; field: string }): EncryptionError {
  return new EncryptionError(
    "ciphertext.malformed",
    `The decrypted value of "${where.field}" is not a value this library wrote`,
    where,
  );
}

export function decodeValue(bytes: Buffer, where: { table: string; field: string }): WireValue {
  // Decoded from offset 1 without a subarray: this runs once per value read.
  switch (bytes[0]) {
    case TAG.S:
      return { S: bytes.toString("utf8", 1) };
    case TAG.N:
      return { N: bytes.toString("utf8", 1) };
    case TAG.B:
      return { B: bytes.toString("base64", 1) };
    case TAG.BOOL:
      if (bytes.length !== 2 || bytes[1]! > 1) throw notOurs(where);
      return { BOOL: bytes[1] === 1 };
    case TAG.NULL:
      return { NULL: true };
    case TAG.JSON: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString("utf8", 1));
      } catch {
        throw notOurs(where);
      }
      if (wireType(parsed) === undefined) throw notOurs(where);
      return parsed as WireValue;
    }
    default:
      throw notOurs(where);
  }
}
