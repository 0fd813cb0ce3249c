/** How a beacon's input is normalised before the HMAC, so that lookups ignore case or spacing. */
export type BeaconNormalization = "lowercase" | "trim";

/**
 * A blind index (beacon) on a field: a truncated HMAC of its plaintext,
 * stored beside the ciphertext in its own attribute, so that equality
 * lookups on the field work. See docs/searchable-encryption.md.
 */
export interface BeaconOptions {
  /**
   * Bits of HMAC-SHA-256 kept, 1 to 256. Fewer bits mean more items share a
   * beacon (false positives, which the plugin removes after decrypting) and
   * less that the beacon reveals about equal values; choose it from the
   * expected number of distinct values (docs/searchable-encryption.md). Only
   * 256 makes a ConditionExpression equality possible, because only then is
   * equality of beacons equality of values.
   */
  length: number;
  /**
   * Applied to string values before the HMAC, on writes and lookups alike:
   * `"lowercase"`, `"trim"`, or both. Equality on the field then means
   * equality after normalising. It cannot change once beacons are stored.
   */
  normalize?: BeaconNormalization | readonly BeaconNormalization[];
  /**
   * The top-level attribute that holds the beacon (type S, hex), so that it
   * can key a GSI. Default: the field's path with `.` replaced by `_`, then
   * `__beacon` (`email__beacon`, `profile_email__beacon`).
   */
  attribute?: string;
  /**
   * The global secondary index whose partition key is the beacon attribute.
   * A Query whose KeyConditionExpression compares the field is rewritten to
   * the beacon only when its `IndexName` is this index: the plugin cannot see
   * a table's indexes without a DescribeTable call, so the config says it.
   */
  index?: string;
  /**
   * Attributes that embed the field inside a composite key, as single-table
   * designs build them (ElectroDB's `$app#email_jane@example.com`): each
   * names the attribute and an anchored pattern whose one capture group is
   * the embedded value. On writes the captured text must be the field's
   * normalised value, and it is replaced by the beacon; a Query comparing
   * the attribute gets the captured text replaced by its beacon.
   */
  composites?: readonly BeaconCompositeOptions[];
}

/** An attribute that embeds a beaconed field: `{ attribute: "gsi1pk", pattern: "^\\$app#email_(.+)$" }`. */
export interface BeaconCompositeOptions {
  /** The top-level attribute (type S), typically a GSI key; never a table key, an encrypted, beacon or tenant attribute. */
  attribute: string;
  /**
   * A regular expression (JavaScript syntax, `u` flag), starting with `^`,
   * with exactly one capture group: the embedded value.
   */
  pattern: string;
  /**
   * Every update (UpdateExpression or AttributeUpdates) that sets the field
   * must set this attribute in the same request; otherwise it is refused
   * (`beacon.compositeMismatch`), rather than leaving the attribute with the
   * old value's beacon, where lookups by neither value find the item. Set it
   * when every item that holds the field embeds it here (dynamodb-toolbox does
   * not recompute a `.link()`ed key on updates). Default false.
   */
  required?: boolean;
}

/**
 * The beacon key, as `keygen --key-id <kms key>` prints it: a 256-bit key made
 * by KMS `GenerateDataKey` and kept only in its wrapped form. Each process
 * unwraps it once with KMS `Decrypt` and holds it in memory.
 */
export interface BeaconKeyOptions {
  /** The KMS key (ID, ARN, alias) that wrapped it; `Decrypt` names it, so no other key's blob is accepted. */
  keyId: string;
  /** The wrapped key (the KMS `CiphertextBlob`), base64. */
  wrapped: string;
}
