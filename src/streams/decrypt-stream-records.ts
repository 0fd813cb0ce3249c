import type { ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { isObject, type WireItem } from "../format/wire";
import {
  attributeValuesFromWire,
  jsonFromWire,
  wireFromAttributeValues,
  wireFromJson,
} from "../items/attribute-values";
import { type Settled, settleDecrypt } from "../items/settle";
import type { SharedEngine } from "../items/shared-engine";
import { requireTable } from "../items/table-lookup";
import type { DynamoDBStreamRecord } from "./stream-types";
import { tableFromStreamArn } from "./table-from-arn";

/** Options for reading stream records. */
export interface StreamRecordOptions {
  /**
   * The form of the images: `json` (default) as Lambda and Kinesis deliver
   * them, binary as base64 text; `attributeValue` as `DynamoDBStreamsClient`'s
   * `GetRecords` returns them, binary as `Uint8Array`.
   */
  shape?: "json" | "attributeValue";
  /**
   * The table the records belong to, for records without an `eventSourceARN`
   * (those `GetRecords` returns). Otherwise the table is read from
   * `eventSourceARN` (or a Kinesis record's `tableName`).
   */
  table?: string;
}

const IMAGES = ["NewImage", "OldImage"] as const;

/** One record, checked and copied, with the engine jobs that decrypt its images in place. */
interface Prepared<R extends DynamoDBStreamRecord> {
  jobs: ItemJob[];
  finish(): R;
}

/** A short, value-free name for a record in error messages. */
export function recordLabel(record: unknown): string {
  const r = isObject(record) ? record : {};
  const data = isObject(r.dynamodb) ? r.dynamodb : {};
  const seq = typeof data.SequenceNumber === "string" ? data.SequenceNumber : undefined;
  const id = typeof r.eventID === "string" ? r.eventID : undefined;
  return seq ? `sequence number ${seq}` : id ? `event ${id}` : "without sequence number";
}

function prepare<R extends DynamoDBStreamRecord>(
  engine: SharedEngine,
  record: R,
  options: StreamRecordOptions,
): Prepared<R> {
  const label = recordLabel(record);
  // Precondition: a stream record has a `dynamodb` object; anything else cannot be shown to hold no ciphertext.
  if (!isObject(record) || !isObject(record.dynamodb)) {
    throw new EncryptionError(
      "stream.recordInvalid",
      `Stream record (${label}) has no "dynamodb" object`,
    );
  }
  const name =
    options.table ??
    tableFromStreamArn(record.eventSourceARN) ??
    (typeof record.tableName === "string" ? record.tableName : undefined);
  // Precondition: the table is known, so that its fields and key schema are the ones the values were written under.
  if (name === undefined) {
    throw new EncryptionError(
      "stream.recordInvalid",
      `Stream record (${label}) names no table: it has no DynamoDB stream eventSourceARN or tableName; pass the table option`,
    );
  }
  const table = requireTable(engine.resolved, name);
  const json = (options.shape ?? "json") === "json";
  const toWire = json ? wireFromJson : wireFromAttributeValues;
  const fromWire = json ? jsonFromWire : attributeValuesFromWire;
  const data = record.dynamodb;
  const keys = data.Keys === undefined ? undefined : toWire(data.Keys, table.name);
  const images: Partial<Record<(typeof IMAGES)[number], WireItem>> = {};
  const jobs: ItemJob[] = [];
  for (const image of IMAGES) {
    if (data[image] === undefined) continue;
    const item = toWire(data[image], table.name);
    images[image] = item;
    jobs.push({ table, item, key: keys });
  }
  return {
    jobs,
    finish: () => {
      const out = { ...data };
      for (const image of IMAGES) {
        const item = images[image];
        if (item) out[image] = fromWire(item);
      }
      return { ...record, dynamodb: out };
    },
  };
}

/** Adds which record failed to an error, keeping its code, table and field. */
export function inRecord(error: unknown, record: unknown): unknown {
  if (!(error instanceof EncryptionError)) return error;
  return new EncryptionError(
    error.code,
    `Stream record (${recordLabel(record)}): ${error.message}`,
    {
      table: error.table,
      field: error.field,
      cause: error.cause ?? error,
    },
  );
}

/** Each record decrypted, or the error that stopped it; one KMS call per data key for the batch. */
export async function decryptRecordsSettled<R extends DynamoDBStreamRecord>(
  engine: SharedEngine,
  records: readonly R[],
  options: StreamRecordOptions = {},
): Promise<({ ok: true; record: R } | { ok: false; error: unknown })[]> {
  const prepared: (Prepared<R> | { error: unknown })[] = records.map((record) => {
    try {
      return prepare(engine, record, options);
    } catch (error) {
      return { error: inRecord(error, record) };
    }
  });
  const ready = prepared.filter((p): p is Prepared<R> => !("error" in p));
  const settled = await settleDecrypt(
    engine.cipher,
    ready.map((p) => p.jobs),
  );
  const results = new Map<Prepared<R>, Settled>(ready.map((p, i) => [p, settled[i]!]));
  return prepared.map((p, i) => {
    if ("error" in p) return { ok: false, error: p.error };
    const result = results.get(p)!;
    return result.ok
      ? { ok: true, record: p.finish() }
      : { ok: false, error: inRecord(result.error, records[i]) };
  });
}

/** Every record decrypted (one KMS call per data key), or the first failure thrown. */
export async function decryptRecords<R extends DynamoDBStreamRecord>(
  engine: SharedEngine,
  records: readonly R[],
  options: StreamRecordOptions = {},
): Promise<R[]> {
  const prepared = records.map((record) => {
    try {
      return prepare(engine, record, options);
    } catch (error) {
      throw inRecord(error, record);
    }
  });
  try {
    await engine.cipher.decryptItems(prepared.flatMap((p) => p.jobs));
    return prepared.map((p) => p.finish());
  } catch {
    // Record by record, so the error names the record that failed (the engine changed nothing).
    const settled = await decryptRecordsSettled(engine, records, options);
    return settled.map((s) => {
      if (!s.ok) throw s.error;
      return s.record;
    });
  }
}
