import { setOwn } from "../util/own-property";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { EncryptionError } from "../errors/encryption-error";
import { isObject, type WireItem, type WireValue, wireType } from "../format/wire";

/**
 * Copies between the three marshalled forms the library meets: DynamoDB JSON
 * as it is on the wire, in Lambda events and in exports (binary as base64
 * text), and the SDK's `AttributeValue` (binary as `Uint8Array`). Every copy
 * is new, so the engine may change it in place; every value is checked.
 */
type Binary = "base64" | "bytes";

const where = (table: string) => ({ table });

function invalid(table: string, path: string): never {
  throw new EncryptionError(
    "value.invalid",
    `The item's attribute "${path}" is not a DynamoDB attribute value of the item shape given`,
    where(table),
  );
}

function binaryIn(value: unknown, from: Binary, table: string, path: string): string {
  if (from === "base64" && typeof value === "string") return value;
  if (from === "bytes" && value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return invalid(table, path);
}

function binaryOut(value: string, to: Binary): string | Uint8Array {
  if (to === "base64") return value;
  const bytes = Buffer.from(value, "base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function strings(value: unknown, table: string, path: string): string[] {
  if (!Array.isArray(value)) return invalid(table, path);
  const out: string[] = [];
  for (const v of value as unknown[]) out.push(typeof v === "string" ? v : invalid(table, path));
  return out;
}

function valueIn(value: unknown, from: Binary, table: string, path: string): WireValue {
  const type = wireType(value);
  if (type === undefined) return invalid(table, path);
  const v = (value as Record<string, unknown>)[type];
  switch (type) {
    case "S":
    case "N":
      return typeof v === "string" ? ({ [type]: v } as WireValue) : invalid(table, path);
    case "BOOL":
      return typeof v === "boolean" ? { BOOL: v } : invalid(table, path);
    case "NULL":
      return v === true ? { NULL: true } : invalid(table, path);
    case "B":
      return { B: binaryIn(v, from, table, path) };
    case "SS":
    case "NS":
      return { [type]: strings(v, table, path) } as WireValue;
    case "BS":
      if (!Array.isArray(v)) return invalid(table, path);
      return { BS: v.map((b) => binaryIn(b, from, table, path)) };
    case "L":
      if (!Array.isArray(v)) return invalid(table, path);
      return { L: v.map((e, i) => valueIn(e, from, table, `${path}[${i}]`)) };
    case "M":
      if (!isObject(v)) return invalid(table, path);
      return { M: itemIn(v, from, table, `${path}.`) };
  }
}

function itemIn(item: Record<string, unknown>, from: Binary, table: string, prefix = ""): WireItem {
  const out: WireItem = {};
  for (const [name, value] of Object.entries(item))
    setOwn(out, name, valueIn(value, from, table, `${prefix}${name}`));
  return out;
}

function valueOut(value: WireValue, to: Binary): unknown {
  if ("B" in value) return { B: binaryOut(value.B, to) };
  if ("BS" in value) return { BS: value.BS.map((b) => binaryOut(b, to)) };
  if ("L" in value) return { L: value.L.map((e) => valueOut(e, to)) };
  if ("M" in value) return { M: itemOut(value.M, to) };
  if ("SS" in value) return { SS: [...value.SS] };
  if ("NS" in value) return { NS: [...value.NS] };
  return { ...value };
}

function itemOut(item: WireItem, to: Binary): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) setOwn(out, name, valueOut(value, to));
  return out;
}

function checkItem(item: unknown, table: string): Record<string, unknown> {
  // Precondition: an item is a map of attribute names to values; anything else cannot be checked field by field.
  if (!isObject(item)) {
    throw new EncryptionError(
      "value.invalid",
      "The item is not an object of attribute values",
      where(table),
    );
  }
  return item;
}

/** A checked copy, in wire form, of an item in DynamoDB JSON (binary as base64 text). */
export function wireFromJson(item: unknown, table: string): WireItem {
  return itemIn(checkItem(item, table), "base64", table);
}

/** A copy of a wire item as DynamoDB JSON. */
export function jsonFromWire(item: WireItem): WireItem {
  return itemOut(item, "base64") as WireItem;
}

/** A checked copy, in wire form, of an item of SDK `AttributeValue`s (binary as `Uint8Array`). */
export function wireFromAttributeValues(item: unknown, table: string): WireItem {
  return itemIn(checkItem(item, table), "bytes", table);
}

/** A copy of a wire item as SDK `AttributeValue`s. */
export function attributeValuesFromWire(item: WireItem): Record<string, AttributeValue> {
  return itemOut(item, "bytes") as Record<string, AttributeValue>;
}
