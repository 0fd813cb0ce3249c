export {
  fieldEncryption,
  REQUEST_MIDDLEWARE_NAME,
  RESPONSE_MIDDLEWARE_NAME,
} from "./plugin/field-encryption";
export type { FieldEncryptionPlugin } from "./plugin/field-encryption";
export { EncryptionMode } from "./config/encryption-mode";
export type {
  CacheOptions,
  EncryptionContext,
  FieldEncryptionConfig,
  FieldEncryptionEvent,
  FieldOptions,
  FieldPolicy,
  TableOptions,
} from "./config/config-types";
export type {
  AttributeSource,
  ChosenKey,
  ContextOption,
  ContextValue,
  KeyIdByAttribute,
  KeyIdFromFunction,
  KeyIdOption,
} from "./tenancy/tenancy-types";
export type {
  BeaconKeyOptions,
  BeaconNormalization,
  BeaconOptions,
} from "./beacons/beacon-options";
export { createBeaconKey } from "./beacons/beacon-key";
export { computeBeacons } from "./beacons/compute-beacons";
export { EncryptionError } from "./errors/encryption-error";
export type { EncryptionErrorDetails } from "./errors/encryption-error";
export { ERROR_CODES } from "./errors/error-codes";
export type { EncryptionErrorCode } from "./errors/error-codes";
export type { DataKey, KeyProvider } from "./keys/key-provider";
export { KmsKeyProvider } from "./keys/kms-key-provider";
export type { KmsKeyProviderOptions } from "./keys/kms-key-provider";
export { LocalKeyProvider } from "./keys/local-key-provider";
export type { LocalKeyProviderOptions } from "./keys/local-key-provider";
export { describeCiphertext } from "./format/describe-ciphertext";
export type { CiphertextDescription } from "./format/describe-ciphertext";
export { createItemEncryptor } from "./items/item-encryptor";
export type { ItemEncryptor, ItemEncryptorOptions } from "./items/item-encryptor";
export type { ItemShape, JsonAttributeValue, JsonItem, ShapeItems } from "./items/item-shape";
export type { TranslateConfig } from "./items/native-items";
export { withDecryptedRecords } from "./streams/lambda-handler";
export type {
  DecryptedEvent,
  DecryptedRecordsOptions,
  StreamHandler,
} from "./streams/lambda-handler";
export { decodeKinesisRecord } from "./streams/kinesis-records";
export type { StreamRecordOptions } from "./streams/decrypt-stream-records";
export type {
  BatchResponse,
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  KinesisChangeRecord,
  KinesisStreamEvent,
  KinesisStreamRecord,
  StreamImage,
  StreamRecordData,
  StreamViewType,
} from "./streams/stream-types";
export { decryptExportStream, encryptImportStream } from "./exports/export-streams";
export type {
  ItemLineTransform,
  LineFailure,
  LineTransformOptions,
  LineTransformStats,
} from "./exports/item-line-transform";
export { verifyTable } from "./migration/verify-table";
export { migrateTable } from "./migration/migrate-table";
export { listKeys } from "./migration/list-keys";
export type {
  CheckpointOption,
  MigrateTableOptions,
  MigrationProgress,
  TableToolOptions,
  VerifyTableOptions,
} from "./migration/table-options";
export type {
  BeaconCounts,
  FieldCounts,
  ItemProblem,
  KeyCount,
  MigrationReport,
} from "./migration/migration-report";
export type { RewriteKind } from "./migration/value-state";
