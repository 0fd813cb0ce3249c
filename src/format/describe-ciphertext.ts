import { createHash } from "node:crypto";
import { EncryptionError } from "../errors/encryption-error";
import { DIRECT_KMS_VERSION } from "./direct-format";
import { ENVELOPE_VERSION } from "./envelope";
import { PYDYNOX_VERSION } from "./pydynox-format";
import { parseStoredValue } from "./stored-value";

/**
 * The format version each first byte stands for, as `docs/format.md` numbers
 * them. The first byte names a format and its version together, so a later
 * version of a format will get a byte of its own. Every format is at version 1.
 */
const FORMAT_VERSION_OF_BYTE: ReadonlyMap<number, number> = new Map([
  [ENVELOPE_VERSION, 1],
  [PYDYNOX_VERSION, 1],
  [DIRECT_KMS_VERSION, 1],
]);

/** What a stored value says about itself, without decrypting it. */
export interface CiphertextDescription {
  /** `native` (this library's envelope), `pydynox`, or `kms` (the direct KMS scheme). */
  format: "native" | "pydynox" | "kms";
  /** `envelope` (a data key wrapped by KMS) or `kms` (the value encrypted by KMS itself). */
  scheme: "envelope" | "kms";
  /**
   * The version of the format, as `docs/format.md` numbers it: `1` for each
   * format today. Compare it together with `format`; to tell bytes apart, use
   * `versionByte`.
   */
  version: number;
  /**
   * The raw first byte after base64 decoding, which names the format and its
   * version together: `0xDF` (223, native envelope v1), `0x01` (pydynox v1) or
   * `0xDE` (222, direct KMS scheme v1).
   */
  versionByte: number;
  /** Which key provider made the key: a `LocalKeyProvider` ciphertext names itself; anything else is taken as AWS KMS. */
  keyProvider: "local" | "aws-kms";
  /**
   * The key that encrypted the data key (or value), where the format carries
   * it: the `LocalKeyProvider` key id. AWS KMS does not document its
   * ciphertext layout, so for KMS this is undefined; KMS `Decrypt` (or
   * `ReEncrypt`) tells the key ARN.
   */
  keyId: string | undefined;
  /**
   * SHA-256 (first 16 bytes, hex) of the wrapped data key, or of the KMS
   * ciphertext for the `kms` scheme. Values that share it share a data key,
   * which is what a migration or rotation tool counts.
   */
  wrappedKeyFingerprint: string;
}

/**
 * Tells, without decrypting and without KMS, the format, scheme and version
 * (and the raw first byte that names them) of a stored `ENC:` value, which key provider made it and which data key it
 * uses: "which key encrypted this value?". Throws `ciphertext.*` for a value
 * that is not a well-formed ciphertext.
 */
export function describeCiphertext(value: string): CiphertextDescription {
  if (typeof value !== "string")
    throw new EncryptionError(
      "ciphertext.malformed",
      "describeCiphertext expects the stored ENC: string",
    );
  const stored = parseStoredValue(value, { table: "", field: "" });
  const wrapped =
    stored.format === "native"
      ? stored.envelope.wrapped
      : stored.format === "pydynox"
        ? stored.value.wrapped
        : stored.blob;
  // parseStoredValue accepted the value, so its first byte is one of the known ones.
  const versionByte = Buffer.from(value.slice(4, 8), "base64")[0]!;
  const version = FORMAT_VERSION_OF_BYTE.get(versionByte)!;
  const local =
    wrapped[0] === 0x4c && wrapped.length > 2 + wrapped[1]!
      ? wrapped.subarray(2, 2 + wrapped[1]!).toString("utf8")
      : undefined;
  return {
    format: stored.format,
    scheme: stored.format === "kms" ? "kms" : "envelope",
    version,
    versionByte,
    keyProvider: local === undefined ? "aws-kms" : "local",
    keyId: local,
    wrappedKeyFingerprint: createHash("sha256").update(wrapped).digest("hex").slice(0, 32),
  };
}
