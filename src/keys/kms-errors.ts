import { EncryptionError } from "../errors/encryption-error";
import type { EncryptionErrorCode } from "../errors/error-codes";

const CODES: Record<string, EncryptionErrorCode> = {
  NotFoundException: "kms.keyNotFound",
  AccessDeniedException: "kms.accessDenied",
  DisabledException: "kms.keyDisabled",
  KMSInvalidStateException: "kms.keyDisabled",
  InvalidCiphertextException: "kms.invalidCiphertext",
  IncorrectKeyException: "kms.incorrectKey",
  ThrottlingException: "kms.throttled",
  TooManyRequestsException: "kms.throttled",
  LimitExceededException: "kms.throttled",
};

const HINTS: Partial<Record<EncryptionErrorCode, string>> = {
  "kms.keyNotFound": "check the key ID, ARN or alias and the region",
  "kms.accessDenied": "the caller's IAM policy does not allow this KMS action",
  "kms.keyDisabled": "the KMS key is disabled or pending deletion",
  "kms.invalidCiphertext":
    "the wrapped data key was changed, or the encryption context differs from the one it was made with",
  "kms.incorrectKey": "the wrapped data key belongs to another KMS key",
  "kms.throttled":
    "KMS throttled the call beyond the SDK's retries; the data-key cache reduces calls",
};

/** Turns an error from a KMS call into an EncryptionError with a `kms.*` code; the KMS error is its `cause`. */
export function kmsError(error: unknown, action: string): EncryptionError {
  if (error instanceof EncryptionError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  // Own properties only: an error named "toString" or "constructor" must not pick up Object's.
  const code =
    (typeof name === "string" && Object.hasOwn(CODES, name) && CODES[name]) || "kms.failed";
  const hint = HINTS[code] ?? "see the cause";
  return new EncryptionError(
    code,
    `KMS ${action} failed (${typeof name === "string" ? name : "error"}): ${hint}`,
    { cause: error },
  );
}
