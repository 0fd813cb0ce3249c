import type { FieldEncryptionConfig } from "../config/config-types";
import { settleDecrypt, settleEncryptItems } from "../items/settle";
import { type EngineCarrier, sharedEngine } from "../items/shared-engine";
import { requireTable } from "../items/table-lookup";
import {
  type ItemLineTransform,
  itemLineTransform,
  type LineTransformOptions,
} from "./item-line-transform";

/**
 * A transform from the lines of a DynamoDB export in DynamoDB JSON format
 * (`{"Item": {…}}` per line, as found in the export's `data/*.json.gz` after
 * gunzip) to the same lines with the configured fields decrypted. It works
 * line by line in batches, with bounded memory, whatever the file's size.
 * An unknown table throws `table.unknown` here, before any line is read.
 *
 * @example
 * ```ts
 * import { createReadStream, createWriteStream } from "node:fs";
 * import { pipeline } from "node:stream/promises";
 * import { createGunzip } from "node:zlib";
 * import { decryptExportStream } from "dynamodb-field-encryption";
 *
 * await pipeline(
 *   createReadStream("export/data/abc.json.gz"),
 *   createGunzip(),
 *   decryptExportStream(config, { table: "Users" }),
 *   createWriteStream("users.json"),
 * );
 * ```
 */
export function decryptExportStream(
  source: FieldEncryptionConfig | EngineCarrier,
  options: LineTransformOptions,
): ItemLineTransform {
  const engine = sharedEngine(source);
  const table = requireTable(engine.resolved, options.table);
  return itemLineTransform(table, (groups) => settleDecrypt(engine.cipher, groups), options);
}

/**
 * The reverse of {@link decryptExportStream}: plaintext items in DynamoDB
 * JSON lines to lines with the configured fields encrypted, ready for a
 * DynamoDB import from S3 (gzip the output).
 *
 * @example
 * ```ts
 * await pipeline(
 *   createReadStream("users.json"),
 *   encryptImportStream(config, { table: "Users" }),
 *   createGzip(),
 *   createWriteStream("import/users.json.gz"),
 * );
 * ```
 */
export function encryptImportStream(
  source: FieldEncryptionConfig | EngineCarrier,
  options: LineTransformOptions,
): ItemLineTransform {
  const engine = sharedEngine(source);
  const table = requireTable(engine.resolved, options.table);
  return itemLineTransform(table, (groups) => settleEncryptItems(engine, groups), options);
}
