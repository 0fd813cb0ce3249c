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
  /** Attributes that embed the field, in the order configured. */
  readonly composites: readonly ResolvedComposite[];
}

/** A composite attribute with its pattern compiled. Frozen. */
export interface ResolvedComposite {
  readonly attribute: string;
  /** Anchored, one capture group, `u` and `d` flags (so the group's position is known). */
  readonly pattern: RegExp;
  /**
   * The text every match starts with, up to the capture group, when the
   * pattern spells it literally (no alternation or class before the group);
   * undefined otherwise. Tells whether a prefix or range bound reaches into
   * the embedded value.
   */
  readonly literalPrefix: string | undefined;
  /** Every update that sets the field must set this attribute too (so it never keeps an old value's beacon). */
  readonly required: boolean;
}

/** The beacon key with its wrapped bytes decoded. Frozen. */
export interface ResolvedBeaconKey {
  readonly keyId: string;
  readonly wrapped: Uint8Array;
}
