import type { EncryptionContext } from "../config/config-types";

/** Encryption context entries sorted by key, so two equal contexts give equal bytes. */
export function canonicalContext(context: EncryptionContext): string {
  const keys = Object.keys(context).sort();
  return JSON.stringify(keys.map((k) => [k, context[k]]));
}
