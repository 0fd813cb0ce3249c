import type { KMSClient } from "@aws-sdk/client-kms";
import type { KeyProvider } from "../keys/key-provider";
import type { EncryptionMode } from "./encryption-mode";

/** A KMS encryption context: string keys to string values. */
export type EncryptionContext = Record<string, string>;

/** Options that a field can set, and that a table or the whole config can default. */
export interface FieldPolicy {
  /**
   * The KMS key that wraps this field's data keys: key ID, key ARN, alias name
   * (`alias/x`) or alias ARN. Different keys let IAM separate who may read what.
   */
  keyId?: string;
  /** What this client may do with the field. Default `ReadWrite`. */
  mode?: EncryptionMode;
  /**
   * KMS encryption context. It must match on decrypt and appears in CloudTrail,
   * so it suits tenant or purpose labels, never secrets. Entries merge from the
   * config, the table and the field, the most specific winning.
   */
  context?: EncryptionContext;
  /**
   * Whether a stored value without the `ENC:` prefix is returned as legacy
   * plaintext (the default, so existing data keeps working while it is
   * migrated). `false` makes such a value an error, which detects plaintext
   * written around the plugin.
   */
  allowPlaintext?: boolean;
  /**
   * How values are encrypted. `envelope` (default): AES-256-GCM under a
   * cached data key, so thousands of values cost one KMS call. `kms`: one KMS
   * `Encrypt` per value and one `Decrypt` per stored value (at most 4,096
   * bytes each), for an IAM story where a WriteOnly service needs only
   * `kms:Encrypt`. Either way, every format is read.
   */
  scheme?: "envelope" | "kms";
  /**
   * The stored format written. `native` (default) binds each value to its
   * table, item and field and keeps its DynamoDB type. `pydynox` writes
   * pydynox's format, for fields that pydynox services must read: strings
   * only, and nothing is bound, so a value can be copied to another item or
   * field undetected. Both formats are always read.
   */
  format?: "native" | "pydynox";
}

/** One encrypted field. */
export type FieldOptions = FieldPolicy;

/** One table: its key schema, which the ciphertext is bound to, and its fields. */
export interface TableOptions extends FieldPolicy {
  /** The partition key attribute. Its value is bound into every ciphertext of the item. */
  partitionKey: string;
  /** The sort key attribute, when the table has one. */
  sortKey?: string;
  /**
   * The name bound into ciphertexts instead of the physical table name, so a
   * table restored or copied under a new name still decrypts. Default: the
   * table name.
   */
  logicalName?: string;
  /**
   * Attribute paths to encrypt: `a.b.c` for nested map keys, `list[]` for every
   * element of a list; `\.`, `\[`, `\]` and `\\` escape those characters in a
   * name. A path may point at a value of any type.
   */
  fields: Record<string, FieldOptions>;
}

/** Limits of the data-key cache. Cached keys let thousands of values cost one KMS call. */
export interface CacheOptions {
  /** How long a data key is used, in milliseconds, for encrypting and decrypting. Default 300000 (5 minutes). */
  maxAgeMs?: number;
  /**
   * How many values one data key may encrypt before a new one is made. Bounds
   * the damage of a leaked data key and keeps AES-GCM's random nonces far from
   * collision. Default 100000.
   */
  maxUses?: number;
  /** How many data keys the cache holds (least recently used go first). Default 1000. */
  maxEntries?: number;
}

/** Events for metrics: KMS calls, cache hits and misses. Never values or keys. */
export type FieldEncryptionEvent =
  | {
      type: "kms";
      operation: "generateDataKey" | "decryptDataKey" | "encrypt" | "decrypt";
      durationMs: number;
      ok: boolean;
    }
  | { type: "cache"; use: "encrypt" | "decrypt"; hit: boolean };

/** The configuration of {@link fieldEncryption}. */
export interface FieldEncryptionConfig extends FieldPolicy {
  /** Region of the KMS client the plugin creates. Default: the SDK's usual resolution. */
  region?: string;
  /** A KMS client to use instead of creating one, for a custom endpoint, credentials or retries. */
  kmsClient?: KMSClient;
  /**
   * Where data keys come from. Default: AWS KMS through `kmsClient`.
   * `LocalKeyProvider` holds raw keys for development and tests.
   */
  keyProvider?: KeyProvider;
  /** Data-key cache limits; `false` makes one KMS call per value written and per value read. */
  cache?: CacheOptions | false;
  /** How many KMS calls one request may run at once. Default 8. */
  maxConcurrency?: number;
  /** Called for each KMS call and cache lookup, for metrics. It must not throw. */
  onEvent?: (event: FieldEncryptionEvent) => void;
  /** The tables with encrypted fields, by table name. Requests to other tables pass through unparsed. */
  tables: Record<string, TableOptions>;
}
