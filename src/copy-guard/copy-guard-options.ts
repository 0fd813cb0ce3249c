import { fail, isPlainObject } from "../config/config-failure";

/**
 * How the copy guard searches for a field's plaintext in the rest of a
 * request. Before a write is sent, the plugin refuses it (`plaintext.copied`)
 * when the plaintext of an encrypted value appears, in any letter case, inside
 * a value the request sends unencrypted: a table or index key that an ORM
 * composed from the field (`"$app#email_jane@example.com"`), another
 * attribute, a condition value, a PartiQL parameter or literal.
 */
export interface CopyGuardOptions {
  /**
   * The shortest plaintext searched for, in UTF-8 bytes after trimming
   * whitespace (characters, for ASCII text; a CJK character counts 3).
   * Shorter values (`"NY"`, `"42"`) appear by chance inside unrelated text
   * too often to refuse a write for it. Default 6.
   */
  minLength?: number;
}

/** The default shortest plaintext searched for: long enough that a chance match in unrelated text is rare. */
export const DEFAULT_COPY_MIN_LENGTH = 6;

/** A field's guard with defaults applied: the shortest plaintext searched for, or `false` when the field opted out. */
export type ResolvedCopyGuard = Readonly<{ minLength: number }> | false;

function resolveOptions(input: unknown, where: string): { minLength?: number } {
  if (!isPlainObject(input)) fail(where, "expected an object such as { minLength: 6 }");
  for (const key of Object.keys(input))
    if (key !== "minLength") fail(`${where}.${key}`, "unknown option; expected minLength");
  const { minLength } = input;
  if (
    minLength !== undefined &&
    (typeof minLength !== "number" || !Number.isInteger(minLength) || minLength < 1)
  )
    fail(`${where}.minLength`, `expected a positive integer, got ${JSON.stringify(minLength)}`);
  return minLength === undefined ? {} : { minLength };
}

/** Validates the config-wide `copyGuard` (an object only: the guard cannot be switched off for a whole config). */
export function resolveTopCopyGuard(input: unknown): { minLength: number } {
  if (input === undefined) return { minLength: DEFAULT_COPY_MIN_LENGTH };
  if (input === false)
    fail(
      "config.copyGuard",
      "the copy guard can be switched off only per field (copyGuard: false on the field)",
    );
  return {
    minLength: resolveOptions(input, "config.copyGuard").minLength ?? DEFAULT_COPY_MIN_LENGTH,
  };
}

/** Validates a field's `copyGuard`: `false` (the explicit, unsafe opt-out) or options overriding the config's. */
export function resolveFieldCopyGuard(
  input: unknown,
  top: { minLength: number },
  where: string,
): ResolvedCopyGuard {
  if (input === false) return false;
  if (input === undefined) return Object.freeze({ minLength: top.minLength });
  return Object.freeze({ minLength: resolveOptions(input, where).minLength ?? top.minLength });
}
