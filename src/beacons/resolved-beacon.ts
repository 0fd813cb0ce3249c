import type { BeaconNormalization } from "./beacon-options";

/** A field's beacon with every default applied. Frozen. */
export interface ResolvedBeacon {
  /** Bits of HMAC kept, 1 to 256. */
  readonly length: number;
  /** Normalisations, in the order they are applied: trim, then lowercase. */
  readonly normalize: readonly BeaconNormalization[];
  /** The top-level attribute holding the beacon. */
  readonly attribute: string;
  /** The GSI keyed on the beacon attribute, when the config declares one. */
  readonly index: string | undefined;
}

/** The beacon key with its wrapped bytes decoded. Frozen. */
export interface ResolvedBeaconKey {
  readonly keyId: string;
  readonly wrapped: Uint8Array;
}
