import type { WireItem } from "./wire";

/** DynamoDB's maximum item size, 400 KB. */
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

function numberSize(text: string): number {
  const digits = text
    .replace(/[^0-9]/g, "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(digits.length / 2) + 1;
}

function base64Size(text: string): number {
  return Math.floor((text.length * 3) / 4) - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);
}

function valueSize(value: unknown): number {
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return utf8(v.S);
  if (typeof v.N === "string") return numberSize(v.N);
  if (typeof v.B === "string") return base64Size(v.B);
  if ("BOOL" in v || "NULL" in v) return 1;
  if (Array.isArray(v.SS)) return (v.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if (Array.isArray(v.NS)) return (v.NS as string[]).reduce((n, s) => n + numberSize(s), 0);
  if (Array.isArray(v.BS)) return (v.BS as string[]).reduce((n, s) => n + base64Size(s), 0);
  if (Array.isArray(v.L))
    return 3 + (v.L as unknown[]).reduce<number>((n, e) => n + 1 + valueSize(e), 0);
  if (typeof v.M === "object" && v.M !== null)
    return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

/**
 * An item's size as DynamoDB counts it (attribute names plus values; numbers
 * by significant digits), so that an item that encryption pushed over 400 KB
 * is refused before it is sent.
 */
export function itemSize(item: WireItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}
