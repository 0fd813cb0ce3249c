import { createHmac, hkdfSync, type KeyObject } from "node:crypto";
import { canonicalNumber } from "../format/canonical-number";
import type { ResolvedBeacon } from "./resolved-beacon";

/** HKDF `info` prefix: names the purpose and version, so these subkeys are unrelated to any other use of the key. */
const INFO_LABEL = "dynamodb-field-encryption beacon v1";

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * The HMAC key of one field of one table: HKDF-SHA-256 of the beacon key with
 * an empty salt and `info` = label, 0x00, then the logical table name and the
 * field path, each as a 32-bit big-endian byte length and UTF-8. Equal values
 * in different fields or tables therefore get unrelated beacons.
 */
export function beaconSubkey(
  beaconKey: Uint8Array,
  logicalTable: string,
  fieldPath: string,
): Buffer {
  const info = Buffer.concat([
    Buffer.from(INFO_LABEL, "utf8"),
    Buffer.from([0]),
    lengthPrefixed(logicalTable),
    lengthPrefixed(fieldPath),
  ]);
  return Buffer.from(hkdfSync("sha256", beaconKey, Buffer.alloc(0), info, 32));
}

/** A value a beacon can be made of, as AttributeValue (wire: binaries as base64; SDK: as bytes). */
export type BeaconSource = { S: string } | { N: string } | { B: string | Uint8Array };

/**
 * The bytes the HMAC covers: a type tag, then the normalised string (UTF-8),
 * the canonical number, or the bytes. Two values are equal for a beacon
 * lookup exactly when these bytes are equal, which is also how false
 * positives are told apart after decrypting.
 */
export function beaconInput(value: BeaconSource, beacon: ResolvedBeacon): Buffer {
  if ("S" in value) {
    let text = value.S;
    if (beacon.normalize.includes("trim")) text = text.trim();
    if (beacon.normalize.includes("lowercase")) text = text.toLowerCase();
    return Buffer.concat([Buffer.from("S\0"), Buffer.from(text, "utf8")]);
  }
  if ("N" in value) return Buffer.from(`N\0${canonicalNumber(value.N) ?? value.N}`, "utf8");
  const bytes = typeof value.B === "string" ? Buffer.from(value.B, "base64") : Buffer.from(value.B);
  return Buffer.concat([Buffer.from("B\0"), bytes]);
}

/**
 * The beacon: HMAC-SHA-256 under the field's subkey, keeping the first
 * `length` bits, as lower-case hex of ceil(length / 4) digits (the kept bits
 * read as a number, so a 6-bit beacon is 00 to 3f). Type S, so it can key a GSI.
 */
export function beaconText(
  subkey: Uint8Array | KeyObject,
  input: Uint8Array,
  length: number,
): string {
  const mac = createHmac("sha256", subkey).update(input).digest();
  // Whole hex digits need no shifting: the first length / 4 digits are the kept bits.
  if (length % 4 === 0) return mac.toString("hex", 0, Math.ceil(length / 8)).slice(0, length / 4);
  const bytes = Math.ceil(length / 8);
  const kept = BigInt(`0x${mac.subarray(0, bytes).toString("hex")}`) >> BigInt(bytes * 8 - length);
  return kept.toString(16).padStart(Math.ceil(length / 4), "0");
}
