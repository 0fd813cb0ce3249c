import { setOwn } from "../util/own-property";
import type { WireValue } from "./wire";

/**
 * A wire value in the form the SDK's deserializer gives: the same objects,
 * except that binary values (`B`, and the members of `BS`) are `Uint8Array`s
 * rather than base64 text. Strings, numbers and the rest are unchanged, so
 * only values that hold binaries are copied.
 */
export function toSdkValue(value: WireValue): unknown {
  if ("S" in value) return value;
  if ("B" in value) return { B: Buffer.from(value.B, "base64") };
  if ("BS" in value) return { BS: value.BS.map((b) => Buffer.from(b, "base64")) };
  if ("M" in value) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value.M)) setOwn(out, k, toSdkValue(v));
    return { M: out };
  }
  if ("L" in value) return { L: value.L.map(toSdkValue) };
  return value;
}

/** A whole item in the SDK's form (see {@link toSdkValue}). */
export function toSdkItem(item: Record<string, WireValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) setOwn(out, k, toSdkValue(v));
  return out;
}
