import { createHash } from "node:crypto";
import { EncryptionError } from "../errors/encryption-error";
import { parseStoredValue } from "./stored-value";

/** What a stored value says about itself, without decrypting it. */
export interface CiphertextDescription {
  /** `native` (this library's envelope), `pydynox`, or `kms` (the direct KMS scheme). */
  format: "native" | "pydynox" | "kms";
  /** `envelope` (a data key wrapped by KMS) or `kms` (the value encrypted by KMS itself). */
  scheme: "envelope" | "kms";
  /** The format's version byte. */
  version: number;
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
 * Tells, without decrypting and without KMS, the format, scheme and version of
 * a stored `ENC:` value, which key provider made it and which data key it
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
  const version = Buffer.from(value.slice(4, 8), "base64")[0]!;
  const local =
    wrapped[0] === 0x4c && wrapped.length > 2 + wrapped[1]!
      ? wrapped.subarray(2, 2 + wrapped[1]!).toString("utf8")
      : undefined;
  return {
    format: stored.format,
    scheme: stored.format === "kms" ? "kms" : "envelope",
    version,
    keyProvider: local === undefined ? "aws-kms" : "local",
    keyId: local,
    wrappedKeyFingerprint: createHash("sha256").update(wrapped).digest("hex").slice(0, 32),
  };
}
