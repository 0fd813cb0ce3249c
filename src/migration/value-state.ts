import type { EncryptionErrorCode } from "../errors/error-codes";

/**
 * Which kind of rewrite brings an item to its target state; `--only` selects
 * among them. The first three rewrite a value; `beacons` writes a missing or
 * stale beacon and removes an orphaned one (see `BeaconState`).
 */
export type RewriteKind = "plaintext" | "keys" | "formats" | "beacons";

/** The stored form of an encrypted value: what `describeCiphertext` tells, and the key that opened it. */
export interface EncryptedForm {
  format: "native" | "pydynox" | "kms";
  scheme: "envelope" | "kms";
  /** The configured key id (the field's `keyId` or one of its `decryptOnlyKeyIds`) that opens the value. */
  keyId: string;
}

/**
 * What one stored value of a configured field is, compared with what the
 * field writes today (its target state):
 * - `plaintext`: no `ENC:` prefix; the migration encrypts it.
 * - `current`: the format, scheme and key the field writes now.
 * - `notCurrent`: it decrypts, but under a retired key (`keys`), in another
 *   format or scheme (`formats`), or both; the migration re-encrypts it.
 * - `undecryptable`: it does not decrypt under the field's rules (tampered,
 *   malformed, a key or format the field does not accept); left as it is.
 * - `invalid`: a value of another shape than the path needs (a string where a
 *   map should be), which may hold the secret unencrypted; left as it is and
 *   reported, since the tool cannot tell what it is.
 */
export type ValueState =
  | { kind: "plaintext" }
  | ({ kind: "current" } & EncryptedForm)
  | ({ kind: "notCurrent"; keys: boolean; formats: boolean } & EncryptedForm)
  | { kind: "undecryptable"; code: EncryptionErrorCode }
  | { kind: "invalid"; code: EncryptionErrorCode };

/** The rewrites that bring a value to its target state (none when it is current or cannot be rewritten); `--only` selects a value when it names any of them. */
export function rewriteKinds(state: ValueState): RewriteKind[] {
  if (state.kind === "plaintext") return ["plaintext"];
  if (state.kind !== "notCurrent") return [];
  const kinds: RewriteKind[] = [];
  if (state.keys) kinds.push("keys");
  if (state.formats) kinds.push("formats");
  return kinds;
}
