import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { WireItem, WireValue } from "../format/wire";
import {
  attributeValuesFromWire,
  jsonFromWire,
  wireFromAttributeValues,
  wireFromJson,
} from "./attribute-values";
import { nativeFromWire, type TranslateConfig, wireFromNative } from "./native-items";

/**
 * The form of the items an encryptor takes and returns. It is stated, never
 * guessed from the item: `{ S: "x" }` is a string attribute in one shape and
 * a map with a key `S` in another.
 * - `attributeValue`: the SDK's `AttributeValue` maps, as `DynamoDBClient`
 *   and `DynamoDBStreamsClient` return them (binary as `Uint8Array`).
 * - `json`: DynamoDB JSON, as Lambda stream events, Kinesis records and table
 *   exports hold it (binary as base64 text).
 * - `native`: plain JavaScript values, as `DynamoDBDocumentClient` uses,
 *   converted with the `translateConfig` you give.
 */
export type ItemShape = "attributeValue" | "json" | "native";

/** One attribute value in DynamoDB JSON: `{ "S": "…" }`, `{ "B": "<base64>" }`, `{ "M": {…} }`… */
export type JsonAttributeValue = WireValue;
/** An item in DynamoDB JSON. */
export type JsonItem = WireItem;

/** The item type of each shape. */
export interface ShapeItems {
  attributeValue: Record<string, AttributeValue>;
  json: JsonItem;
  native: Record<string, unknown>;
}

/** Converts one shape's items to and from the engine's wire form; each conversion is a new copy. */
export interface ShapeCodec<S extends ItemShape> {
  readonly shape: S;
  toWire(item: ShapeItems[S], table: string): Promise<WireItem> | WireItem;
  fromWire(item: WireItem): Promise<ShapeItems[S]> | ShapeItems[S];
}

export function shapeCodec<S extends ItemShape>(
  shape: S,
  translate: TranslateConfig = {},
): ShapeCodec<S> {
  const codecs: { [K in ItemShape]: ShapeCodec<K> } = {
    attributeValue: {
      shape: "attributeValue",
      toWire: wireFromAttributeValues,
      fromWire: attributeValuesFromWire,
    },
    json: { shape: "json", toWire: wireFromJson, fromWire: jsonFromWire },
    native: {
      shape: "native",
      toWire: (item, table) => wireFromNative(item, table, translate),
      fromWire: (item) => nativeFromWire(item, translate),
    },
  };
  return codecs[shape];
}
