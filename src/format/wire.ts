/**
 * DynamoDB JSON as it travels on the wire: `{"S": "…"}`, `{"N": "…"}`,
 * `{"B": "<base64>"}`, `{"M": {…}}` and so on. The plugin only ever sees this
 * form, for the Document client and the low-level client alike.
 */
export type WireValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: WireItem }
  | { L: WireValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type WireItem = Record<string, WireValue>;

export const WIRE_TYPES = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"] as const;
export type WireType = (typeof WIRE_TYPES)[number];

/** The single type tag of a wire value, or undefined when it is not one. */
export function wireType(value: unknown): WireType | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as WireType;
  return (WIRE_TYPES as readonly string[]).includes(type) ? type : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
