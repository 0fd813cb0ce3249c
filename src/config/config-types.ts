import type { KMSClient } from "@aws-sdk/client-kms";
import type { BeaconKeyOptions, BeaconOptions } from "../beacons/beacon-options";
import type { CopyGuardOptions } from "../copy-guard/copy-guard-options";
import type { KeyProvider } from "../keys/key-provider";
import type { EncryptionErrorCode } from "../errors/error-codes";
import type { ContextOption, KeyIdOption } from "../tenancy/tenancy-types";
import type { EncryptionMode } from "./encryption-mode";

/** A KMS encryption context: string keys to string values. */
export type EncryptionContext = Record<string, string>;

/** The stored formats: this library's envelope, pydynox's envelope, and the direct KMS scheme. */
export type StoredFormat = "native" | "pydynox" | "kms";

/** Options that a field can set, and that a table or the whole config can default. */
export interface FieldPolicy {
  /**
   * The KMS key that wraps this field's data keys: key ID, key ARN, alias name
   * (`alias/x`) or alias ARN. Different keys let IAM separate who may read what.
   * For one client serving many tenants, the key can be chosen per item: from
   * a map by an attribute's value (`{ attribute: "tenantId", keys: {...} }`),
   * or by a synchronous function (`{ attributes: [...], choose }`); see
   * README "Multi-tenant".
   */
  keyId?: KeyIdOption;
  /** What this client may do with the field. Default `ReadWrite`. */
  mode?: EncryptionMode;
  /**
   * KMS encryption context. It must match on decrypt and appears in CloudTrail,
   * so it suits tenant or purpose labels, never secrets. Entries merge from the
   * config, the table and the field, the most specific winning. A value can
   * come from the item itself (`{ attribute: "pk", pattern: "^tenant#([^#]+)#" }`),
   * so each tenant's data keys carry its own context and key policies can
   * condition on it.
   */
  context?: ContextOption;
  /**
   * Whether a stored value without the `ENC:` prefix is returned as legacy
   * plaintext. Default `false`: anyone who can write the table but has no KMS
   * access could otherwise plant values of any type that readers return as if
   * they were genuine. Set it to `true` only while existing plaintext is being
   * encrypted (see docs/migration rollout in README); every plaintext value
   * read then emits an `onEvent` event `{ type: "plaintext" }`, so you can
   * watch the count reach zero before turning it off again.
   */
  allowPlaintext?: boolean;
  /**
   * Stored formats this field reads besides the one it writes. By default a
   * field accepts exactly what it writes (`native`, `pydynox`, or `kms` for
   * the direct scheme), because pydynox's format binds nothing to the item or
   * field and could be copied in from elsewhere. List `"pydynox"` while
   * reading data pydynox wrote, or `"kms"` / `"native"` while moving between
   * schemes. Any other format is refused with `ciphertext.formatNotAllowed`.
   */
  acceptFormats?: readonly StoredFormat[];
  /**
   * Retired KMS keys whose values this field still reads, never writes:
   * key ARNs, key IDs, alias names or alias ARNs. Only the field's `keyId` and
   * these may unwrap its values (KMS `Decrypt` is called with `KeyId`), so a
   * value made under any other key the reader can use is refused with
   * `kms.incorrectKey`. After moving `keyId` to a new key (or an alias to a
   * new key), list the old one here until its values are re-encrypted.
   */
  decryptOnlyKeyIds?: readonly string[];
  /**
   * How values are encrypted. `envelope` (default): AES-256-GCM under a
   * cached data key, so thousands of values cost one KMS call. `kms`: one KMS
   * `Encrypt` per value and one `Decrypt` per stored value (at most 4,096
   * bytes each), for an IAM story where a WriteOnly service needs only
   * `kms:Encrypt`. A field reads what it writes, plus `acceptFormats`.
   */
  scheme?: "envelope" | "kms";
  /**
   * The stored format written. `native` (default) binds each value to its
   * table, item and field and keeps its DynamoDB type. `pydynox` writes
   * pydynox's format, for fields that pydynox services must read: strings
   * only, and nothing is bound, so a value can be copied to another item or
   * field undetected. A field reads what it writes, plus `acceptFormats`.
   */
  format?: "native" | "pydynox";
}

/** One encrypted field. */
export interface FieldOptions extends FieldPolicy {
  /**
   * A blind index for equality lookups on the field (see
   * docs/searchable-encryption.md). Needs `beaconKey`.
   */
  beacon?: BeaconOptions;
  /**
   * The guard against copies of this field's plaintext elsewhere in a write
   * (see {@link CopyGuardOptions}): options overriding the config's, or
   * `false` to switch it off for this field. `false` is unsafe: the plaintext
   * may then reach DynamoDB inside another attribute (an ORM's composite key,
   * a denormalised copy) with no error. There is no config-wide or table-wide
   * off switch.
   */
  copyGuard?: CopyGuardOptions | false;
}

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
   * collision. Default 100000; at most 2^32, NIST SP 800-38D's limit on
   * invocations of AES-GCM with random 96-bit IVs under one key.
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
  | { type: "cache"; use: "encrypt" | "decrypt"; hit: boolean }
  /** A plaintext value was read from an encrypted field (only with `allowPlaintext: true`). */
  | { type: "plaintext"; table: string; field: string }
  /**
   * An item was left out of a response because a value in it could not be
   * decrypted (only with `undecryptableItems: "skip"`). `key` is the item's
   * key attributes as AttributeValues; never values of encrypted fields.
   */
  | {
      type: "undecryptable";
      table: string;
      field: string;
      key: Record<string, unknown>;
      code: EncryptionErrorCode;
    };

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
  /**
   * How many KMS calls one request or response may need before the plugin
   * refuses it (`kms.tooManyCalls`), checked before the first call. A value
   * costs a call only when its data key is not cached, so a page normally
   * needs one call per writer process and cache window; stored values that
   * each carry their own data key (planted by someone with write access, or
   * written with `cache: false`) could otherwise make one Scan cost thousands
   * of calls. Default 1000, or 10000 when the config itself makes one call per
   * value (`scheme: "kms"`, a field that accepts `"kms"`, or `cache: false`).
   */
  maxKmsCallsPerRequest?: number;
  /**
   * What a response does when a value in it cannot be decrypted (tampered,
   * malformed, plaintext, a refused format or key). `"fail"` (default): the
   * whole response is refused with an `EncryptionError` whose `items` detail
   * names every failed item by its key and field. `"skip"`: items of a Query,
   * Scan, BatchGetItem or PartiQL page that fail are left out of the page
   * (and out of `Count`), each reported through `onEvent` as
   * `{ type: "undecryptable" }`, so one bad value does not block a table
   * scan. A single-item read still fails. KMS outages always fail.
   */
  undecryptableItems?: "fail" | "skip";
  /** Called for each KMS call and cache lookup, for metrics. It must not throw. */
  onEvent?: (event: FieldEncryptionEvent) => void;
  /**
   * The key of every beacon, as `keygen --key-id <kms key>` prints it. Needed
   * when a field has a `beacon`; kept only wrapped, unwrapped once per process.
   */
  beaconKey?: BeaconKeyOptions;
  /**
   * The guard against copies of encrypted plaintext in the rest of a write,
   * for every field (a field's own `copyGuard` overrides it). Default
   * `{ minLength: 6 }`. It cannot be switched off here, only per field.
   */
  copyGuard?: CopyGuardOptions;
  /** The tables with encrypted fields, by table name. Requests to other tables pass through unparsed. */
  tables: Record<string, TableOptions>;
}
