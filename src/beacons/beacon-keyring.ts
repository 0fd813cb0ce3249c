import { createSecretKey, type KeyObject } from "node:crypto";
import type { ResolvedConfig, ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import type { KeyProvider } from "../keys/key-provider";
import { BEACON_KEY_CONTEXT } from "./beacon-key";
import { beaconInput, type BeaconSource, beaconSubkey, beaconText } from "./beacon-derivation";
import type { ResolvedBeacon, ResolvedBeaconKey } from "./resolved-beacon";

/**
 * The beacon key of one resolved config, unwrapped with one KMS `Decrypt` the
 * first time a beacon is needed and held in memory; concurrent first uses
 * share that one call, and a failed call is tried again on the next request.
 * Per-field subkeys are derived once.
 */
export class BeaconKeyring {
  private key: Promise<Uint8Array> | undefined;
  /** Per-field subkeys as key objects: an HMAC under a KeyObject skips importing the raw key each time. */
  private readonly subkeys = new Map<string, KeyObject>();

  constructor(
    private readonly provider: KeyProvider,
    private readonly beaconKey: ResolvedBeaconKey | undefined,
  ) {}

  /** Unwraps the beacon key if it is not yet in memory. */
  async ready(): Promise<Uint8Array> {
    // Precondition: resolveConfig refuses beacons without a beaconKey, so this only guards direct use.
    if (!this.beaconKey)
      throw new EncryptionError(
        "config.invalid",
        "config.beaconKey: beacons need a beacon key; create one with `keygen --key-id <kms key>`",
      );
    const { keyId, wrapped } = this.beaconKey;
    this.key ??= this.provider
      .decryptDataKey(wrapped, { ...BEACON_KEY_CONTEXT }, [keyId])
      .catch((error: unknown) => {
        this.key = undefined;
        throw error;
      });
    return this.key;
  }

  /**
   * The beacon of `value` for `field` of `table`. Call after {@link ready}.
   * Values of other types than S, N and B have no beacon: refused with
   * `beacon.unsupportedValue`.
   */
  beacon(
    table: ResolvedTable,
    field: ResolvedField & { beacon: ResolvedBeacon },
    value: unknown,
    key: Uint8Array,
  ): string {
    const id = `${table.logicalName}\0${field.path}`;
    let subkey = this.subkeys.get(id);
    if (!subkey) {
      const raw = beaconSubkey(key, table.logicalName, field.path);
      subkey = createSecretKey(raw);
      raw.fill(0);
      this.subkeys.set(id, subkey);
    }
    return beaconText(
      subkey,
      beaconInput(beaconSource(table, field, value), field.beacon),
      field.beacon.length,
    );
  }
}

/** The value as a beacon source, or `beacon.unsupportedValue` (types other than S, N, B have no beacon). */
export function beaconSource(
  table: ResolvedTable,
  field: ResolvedField,
  value: unknown,
): BeaconSource {
  const v = value as Record<string, unknown> | null;
  if (v && typeof v === "object" && Object.keys(v).length === 1) {
    if (typeof v.S === "string") return { S: v.S };
    if (typeof v.N === "string") return { N: v.N };
    if (typeof v.B === "string" || v.B instanceof Uint8Array) return { B: v.B };
  }
  throw new EncryptionError(
    "beacon.unsupportedValue",
    `A value of the field "${field.path}" has a type that beacons do not cover; a beaconed field holds strings, numbers or binaries. Nothing was sent.`,
    { table: table.name, field: field.path },
  );
}

const keyrings = new WeakMap<ResolvedConfig, BeaconKeyring>();

/** The one keyring of a resolved config (the plugin and the item encryptor share a config, so they share it). */
export function beaconKeyring(config: ResolvedConfig): BeaconKeyring {
  let keyring = keyrings.get(config);
  if (!keyring)
    keyrings.set(config, (keyring = new BeaconKeyring(config.provider, config.beaconKey)));
  return keyring;
}

/** A field with a beacon. */
export type BeaconField = ResolvedField & { beacon: ResolvedBeacon };

export function hasBeacon(field: ResolvedField): field is BeaconField {
  return field.beacon !== undefined;
}
