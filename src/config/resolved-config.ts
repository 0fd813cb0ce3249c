import type { ResolvedBeacon, ResolvedBeaconKey } from "../beacons/resolved-beacon";
import type { CompositeBinding } from "../beacons/resolve-composites";
import type { ResolvedCopyGuard } from "../copy-guard/copy-guard-options";
import type { DataKeyCacheLimits } from "../keys/data-key-cache";
import type { KeyProvider } from "../keys/key-provider";
import type { EncryptionContext, FieldEncryptionEvent, StoredFormat } from "./config-types";
import type { EncryptionMode } from "./encryption-mode";
import type { PathSegment } from "./field-path";
import type { FieldTenancy } from "../tenancy/field-tenancy";

/** A field with every default applied. Frozen. */
export interface ResolvedField {
  /** The path as configured; this is what ciphertexts are bound to. */
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly keyId: string;
  readonly mode: EncryptionMode;
  readonly context: Readonly<EncryptionContext>;
  /** The context as canonical text (entries sorted), for cache keys. */
  readonly contextText: string;
  readonly allowPlaintext: boolean;
  /** The stored formats this field reads: the one it writes and its `acceptFormats`. */
  readonly accepts: ReadonlySet<StoredFormat>;
  /** The KMS keys that may unwrap this field's values: `keyId` first, then `decryptOnlyKeyIds`. */
  readonly readKeyIds: readonly string[];
  /** The part of a decrypt cache key that depends only on the field: provider, context and readable keys. */
  readonly decryptCachePrefix: string;
  readonly scheme: "envelope" | "kms";
  readonly format: "native" | "pydynox";
  /** Cache key of this field's data keys for encrypting. */
  readonly encryptCacheKey: string;
  /**
   * When the key or context comes from the item: gives the field as it
   * applies to one item. The engine never uses such a field's own keyId,
   * context or cache keys, only those of `tenancy.forItem(...)`.
   */
  readonly tenancy: FieldTenancy | undefined;
  /** The field's blind index, when it has one (src/beacons). */
  readonly beacon: ResolvedBeacon | undefined;
  /** The shortest plaintext the copy guard searches for, or `false` when the field opted out (src/copy-guard). */
  readonly copyGuard: ResolvedCopyGuard;
}

/** A table with every default applied. Frozen. */
export interface ResolvedTable {
  readonly name: string;
  readonly logicalName: string;
  readonly partitionKey: string;
  readonly sortKey: string | undefined;
  readonly fields: readonly ResolvedField[];
  /** Top-level attribute names under which some field lives. */
  readonly rootNames: ReadonlySet<string>;
  /** Attributes that choose some field's KMS key or context per item; empty when none does. */
  readonly tenantAttributes: readonly string[];
  /** Beacon attribute names, to the field each one indexes. */
  readonly beaconAttributes: ReadonlyMap<string, ResolvedField>;
  /** Attributes that embed a beaconed field (a composite key), to the field and pattern. */
  readonly compositeAttributes: ReadonlyMap<string, CompositeBinding>;
}

/** The configuration after `fieldEncryption()` validated it. Per-request code reads only this. */
export interface ResolvedConfig {
  readonly tables: ReadonlyMap<string, ResolvedTable>;
  readonly provider: KeyProvider;
  readonly cache: Readonly<DataKeyCacheLimits>;
  readonly maxConcurrency: number;
  readonly maxKmsCallsPerRequest: number;
  readonly undecryptableItems: "fail" | "skip";
  readonly onEvent: ((event: FieldEncryptionEvent) => void) | undefined;
  /** The wrapped beacon key, when some field has a beacon. */
  readonly beaconKey: ResolvedBeaconKey | undefined;
}
