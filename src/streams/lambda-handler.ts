import type { FieldEncryptionConfig } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";
import { isObject } from "../format/wire";
import { type EngineCarrier, sharedEngine } from "../items/shared-engine";
import { decryptRecordsSettled } from "./decrypt-stream-records";
import { decodeKinesisRecord } from "./kinesis-records";
import type {
  BatchResponse,
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  KinesisChangeRecord,
  KinesisStreamEvent,
} from "./stream-types";

/** Options of {@link withDecryptedRecords}. */
export interface DecryptedRecordsOptions {
  /**
   * Report a record that cannot be decrypted as a partial batch failure
   * instead of failing the whole invocation. Set it only when the event source
   * mapping has `FunctionResponseTypes: ["ReportBatchItemFailures"]`: without
   * that setting Lambda ignores the returned `batchItemFailures` and treats
   * the failed record as processed. Default `false`: the invocation throws and
   * Lambda retries the whole batch.
   */
  reportBatchItemFailures?: boolean;
  /**
   * Called with each record that cannot be decrypted, and the error (which
   * holds no values), before it is reported or thrown: for your logs and
   * metrics. It must not throw.
   */
  onRecordError?: (error: unknown, record: unknown) => void;
}

/** The event the handler receives: the same event with decrypted images (Kinesis records decoded). */
export type DecryptedEvent<E> = E extends KinesisStreamEvent
  ? { Records: KinesisChangeRecord[] }
  : E;

/** A Lambda handler for a DynamoDB or Kinesis stream event. */
export type StreamHandler<E, C> = (
  event: E,
  context: C,
) => Promise<BatchResponse | void> | BatchResponse | void;

type AnyStreamEvent = DynamoDBStreamEvent | KinesisStreamEvent;

function sequenceNumber(record: unknown, kinesis: boolean): string | undefined {
  if (!isObject(record)) return undefined;
  const holder = kinesis ? record.kinesis : record.dynamodb;
  const seq = isObject(holder) ? holder[kinesis ? "sequenceNumber" : "SequenceNumber"] : undefined;
  return typeof seq === "string" && seq !== "" ? seq : undefined;
}

function sourceOf(event: unknown): "aws:dynamodb" | "aws:kinesis" {
  // Precondition: an event of stream records from one source; the source decides how records are read.
  if (!isObject(event) || !Array.isArray(event.Records)) {
    throw new EncryptionError("stream.recordInvalid", "The event has no Records array");
  }
  const sources = new Set(
    event.Records.map((r: unknown) => (isObject(r) ? r.eventSource : undefined)),
  );
  const [source] = sources;
  if (sources.size > 1 || (source !== "aws:dynamodb" && source !== "aws:kinesis")) {
    throw new EncryptionError(
      "stream.recordInvalid",
      'Every record of the event must have eventSource "aws:dynamodb" or, all of them, "aws:kinesis"',
    );
  }
  return source;
}

/**
 * Wraps a Lambda handler of DynamoDB stream events (or Kinesis Data Streams
 * for DynamoDB events) so that it receives the records with their images
 * decrypted, a whole batch costing one KMS call per data key.
 *
 * When a record cannot be decrypted (say, a tampered value):
 * - by default the invocation throws, and Lambda retries the whole batch;
 * - with `reportBatchItemFailures: true` the handler receives the records
 *   before it, and the response reports that record's sequence number in
 *   `batchItemFailures` (merged with the handler's own), so Lambda resumes the
 *   shard from it. Records after it are not handed over, because Lambda
 *   delivers them again.
 *
 * @example
 * ```ts
 * import { withDecryptedRecords } from "dynamodb-field-encryption";
 * import { config } from "./encryption-config";
 *
 * export const handler = withDecryptedRecords(
 *   config,
 *   async (event) => {
 *     for (const record of event.Records) await index(record.dynamodb?.NewImage);
 *   },
 *   { reportBatchItemFailures: true }, // with FunctionResponseTypes: ["ReportBatchItemFailures"]
 * );
 * ```
 */
export function withDecryptedRecords<E extends AnyStreamEvent, C = unknown>(
  source: FieldEncryptionConfig | EngineCarrier,
  handler: StreamHandler<DecryptedEvent<E>, C>,
  options: DecryptedRecordsOptions = {},
): (event: E, context: C) => Promise<BatchResponse | void> {
  const engine = sharedEngine(source);
  return async (event, context) => {
    const kinesis = sourceOf(event) === "aws:kinesis";
    const records = event.Records as unknown[];
    const decoded = records.map((record): { record: DynamoDBStreamRecord } | { error: unknown } => {
      if (!kinesis) return { record: record as DynamoDBStreamRecord };
      try {
        return { record: decodeKinesisRecord(record as KinesisStreamEvent["Records"][number]) };
      } catch (error) {
        return { error };
      }
    });
    const readable = decoded.flatMap((d) => ("record" in d ? [d.record] : []));
    const settled = await decryptRecordsSettled(engine, readable);
    let next = 0;
    const results = decoded.map((d) =>
      "error" in d ? { ok: false as const, ...d } : settled[next++]!,
    );

    const failed = results.findIndex((r) => !r.ok);
    const ok = (failed === -1 ? results : results.slice(0, failed)).map(
      (r) => (r as { record: DynamoDBStreamRecord }).record,
    );
    if (failed === -1) return handler({ ...event, Records: ok } as DecryptedEvent<E>, context);

    const failure = results[failed] as { error: unknown };
    try {
      options.onRecordError?.(failure.error, records[failed]);
    } catch {
      // A logging hook must not change what Lambda is told.
    }
    const id = sequenceNumber(records[failed], kinesis);
    if (!options.reportBatchItemFailures || id === undefined) throw failure.error;
    const own =
      ok.length === 0
        ? undefined
        : await handler({ ...event, Records: ok } as DecryptedEvent<E>, context);
    return {
      batchItemFailures: [...(own?.batchItemFailures ?? []), { itemIdentifier: id }],
    };
  };
}
