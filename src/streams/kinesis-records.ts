import { EncryptionError } from "../errors/encryption-error";
import { isObject } from "../format/wire";
import type { KinesisChangeRecord, KinesisStreamRecord } from "./stream-types";

/**
 * The DynamoDB change record inside a record of Kinesis Data Streams for
 * DynamoDB (`kinesis.data`: base64 of JSON), with the Kinesis metadata beside
 * it. Its images are still as stored; decrypt them next.
 */
export function decodeKinesisRecord(record: KinesisStreamRecord): KinesisChangeRecord {
  const seq = isObject(record) && isObject(record.kinesis) ? record.kinesis.sequenceNumber : "";
  const label =
    typeof seq === "string" && seq !== "" ? `sequence number ${seq}` : "without sequence number";
  // Precondition: the record carries base64 text; anything else cannot be a DynamoDB change.
  if (!isObject(record) || !isObject(record.kinesis) || typeof record.kinesis.data !== "string") {
    throw new EncryptionError(
      "stream.recordInvalid",
      `Kinesis record (${label}) has no kinesis.data text`,
    );
  }
  let change: unknown;
  try {
    change = JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"));
  } catch (error) {
    throw new EncryptionError(
      "stream.recordInvalid",
      `Kinesis record (${label}): kinesis.data is not base64 of JSON, so it is not a DynamoDB change record`,
      { cause: error instanceof SyntaxError ? undefined : error },
    );
  }
  if (!isObject(change) || !isObject(change.dynamodb)) {
    throw new EncryptionError(
      "stream.recordInvalid",
      `Kinesis record (${label}): kinesis.data holds no DynamoDB change record (no "dynamodb" object)`,
    );
  }
  const metadata: Partial<KinesisStreamRecord["kinesis"]> = { ...record.kinesis };
  delete metadata.data;
  return {
    ...(change as Omit<KinesisChangeRecord, "kinesis">),
    kinesis: metadata as KinesisChangeRecord["kinesis"],
  };
}
