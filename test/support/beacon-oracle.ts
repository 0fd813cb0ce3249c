import { createHmac, hkdfSync } from "node:crypto";
import type { BeaconKeyOptions, KeyProvider } from "../../src";

/**
 * The beacon of a value, computed here from docs/searchable-encryption.md
 * alone, without the library's derivation code, so that a test can check the
 * value a write sent, not only its hex shape: HKDF-SHA-256 of the beacon key
 * (empty salt; info = label, a zero byte, then the logical table name and the
 * field path, each as a 32-bit big-endian byte length and UTF-8), then
 * HMAC-SHA-256 of a type tag, a zero byte and the normalised value, keeping
 * the first `length` bits as lower-case hex.
 */
export function oracleBeacon(
  beaconKey: Uint8Array,
  table: string,
  fieldPath: string,
  value: { S: string } | { N: string },
  length: number,
  normalize: readonly ("trim" | "lowercase")[] = [],
): string {
  const prefixed = (text: string) => {
    const bytes = Buffer.from(text, "utf8");
    const size = Buffer.alloc(4);
    size.writeUInt32BE(bytes.length);
    return Buffer.concat([size, bytes]);
  };
  const info = Buffer.concat([
    Buffer.from("dynamodb-field-encryption beacon v1\0", "utf8"),
    prefixed(table),
    prefixed(fieldPath),
  ]);
  const subkey = Buffer.from(hkdfSync("sha256", beaconKey, Buffer.alloc(0), info, 32));
  let input: string;
  if ("S" in value) {
    let text = value.S;
    if (normalize.includes("trim")) text = text.trim();
    if (normalize.includes("lowercase")) text = text.toLowerCase();
    input = `S\0${text}`;
  } else input = `N\0${value.N}`;
  const mac = createHmac("sha256", subkey).update(Buffer.from(input, "utf8")).digest("hex");
  const kept = BigInt(`0x${mac}`) >> BigInt(256 - length);
  return kept.toString(16).padStart(Math.ceil(length / 4), "0");
}

/** The plaintext beacon key of `beaconKey`, unwrapped under the documented `dfe:purpose` context. */
export async function unwrapBeaconKey(
  provider: KeyProvider,
  beaconKey: BeaconKeyOptions,
): Promise<Uint8Array> {
  return provider.decryptDataKey(
    Buffer.from(beaconKey.wrapped, "base64"),
    { "dfe:purpose": "beacon-key" },
    [beaconKey.keyId],
  );
}
