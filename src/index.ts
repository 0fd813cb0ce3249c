export { EncryptionError } from "./errors/encryption-error";
export type { EncryptionErrorDetails } from "./errors/encryption-error";
export { ERROR_CODES } from "./errors/error-codes";
export type { EncryptionErrorCode } from "./errors/error-codes";
