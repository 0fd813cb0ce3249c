import type * as UtilDynamoDBModule from "@aws-sdk/util-dynamodb";
import type { marshallOptions, unmarshallOptions } from "@aws-sdk/util-dynamodb";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import { attributeValuesFromWire, wireFromAttributeValues } from "./attribute-values";

/**
 * How native JavaScript items are converted: the same object you give
 * `DynamoDBDocumentClient.from(client, translateConfig)`, so items come out
 * exactly as your Document client would return them (say, with `wrapNumbers`).
 */
export interface TranslateConfig {
  marshallOptions?: marshallOptions;
  unmarshallOptions?: unmarshallOptions;
}

type UtilDynamoDB = typeof UtilDynamoDBModule;
let loaded: Promise<UtilDynamoDB> | undefined;

/**
 * `@aws-sdk/util-dynamodb`, which `@aws-sdk/lib-dynamodb` installs, loaded on
 * first use: only native items need it, and it is an optional peer dependency.
 */
function utilDynamoDB(): Promise<UtilDynamoDB> {
  loaded ??= import("@aws-sdk/util-dynamodb").catch((error: unknown) => {
    loaded = undefined;
    throw new EncryptionError(
      "config.invalid",
      'Native items need "@aws-sdk/util-dynamodb" (installed with "@aws-sdk/lib-dynamodb"); install it, or use the attributeValue or json item shape',
      { cause: error },
    );
  });
  return loaded;
}

/** A wire copy of a native item, marshalled as the Document client would marshall it. */
export async function wireFromNative(
  item: unknown,
  table: string,
  translate: TranslateConfig,
): Promise<WireItem> {
  const { marshall } = await utilDynamoDB();
  let marshalled: unknown;
  try {
    marshalled = marshall(item as Record<string, unknown>, translate.marshallOptions);
  } catch (error) {
    throw new EncryptionError(
      "value.invalid",
      "The native item could not be marshalled with the given marshallOptions (see cause)",
      { table, cause: error },
    );
  }
  return wireFromAttributeValues(marshalled, table);
}

/** A wire item as a native item, unmarshalled as the Document client would unmarshall it. */
export async function nativeFromWire(
  item: WireItem,
  translate: TranslateConfig,
): Promise<Record<string, unknown>> {
  const { unmarshall } = await utilDynamoDB();
  return unmarshall(attributeValuesFromWire(item), translate.unmarshallOptions);
}
