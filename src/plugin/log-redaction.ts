/** What the SDK logger prints in place of a redacted value. */
export const REDACTED = "***SensitiveInformation***";

/** Properties whose whole value is redacted: expression values and PartiQL parameters can hold plaintext of encrypted fields. */
const ALWAYS = new Set(["ExpressionAttributeValues", "Parameters"]);

/**
 * A log filter for the SDK's logger middleware: a copy of a command's input or
 * output with the value of every attribute that is, or holds, an encrypted
 * field replaced by {@link REDACTED}, at any depth and for both the Document
 * client's plain values and AttributeValues. It over-redacts (any attribute
 * with such a name) rather than risk plaintext in logs.
 */
export function redactor(names: ReadonlySet<string>): (value: unknown) => unknown {
  const redact = (value: unknown, depth: number): unknown => {
    if (depth > 64 || typeof value !== "object" || value === null) return value;
    if (value instanceof Uint8Array) return value;
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
    if (value instanceof Set) return new Set([...value].map((v) => redact(v, depth + 1)));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = names.has(k) || ALWAYS.has(k) ? REDACTED : redact(v, depth + 1);
    return out;
  };
  return (value) => redact(value, 0);
}
