/**
 * The shapes of DynamoDB Streams records, as Lambda delivers them (and as
 * `@types/aws-lambda` describes them). Images are typed loosely so that
 * records typed by `@types/aws-lambda` or `@aws-sdk/client-dynamodb-streams`
 * are accepted as they are; their values are checked at run time.
 */

/** What a stream record carries for each `StreamViewType`. */
export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";

/** An item image of a stream record: attribute values by name. */
export type StreamImage = Record<string, unknown>;

/** The `dynamodb` part of a stream record. */
export interface StreamRecordData {
  ApproximateCreationDateTime?: number | Date | undefined;
  Keys?: StreamImage | undefined;
  NewImage?: StreamImage | undefined;
  OldImage?: StreamImage | undefined;
  SequenceNumber?: string | undefined;
  SizeBytes?: number | undefined;
  /** One of {@link StreamViewType}. */
  StreamViewType?: string | undefined;
}

/** One DynamoDB Streams record: an INSERT, MODIFY or REMOVE of one item. */
export interface DynamoDBStreamRecord {
  eventID?: string | undefined;
  /** `INSERT`, `MODIFY` or `REMOVE`. */
  eventName?: string | undefined;
  eventVersion?: string | undefined;
  eventSource?: string | undefined;
  awsRegion?: string | undefined;
  /** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`: where the table name is read. */
  eventSourceARN?: string | undefined;
  /** Set on records that Kinesis Data Streams for DynamoDB delivers. */
  tableName?: string | undefined;
  dynamodb?: StreamRecordData | undefined;
  userIdentity?: unknown;
}

/** Lambda's event for a DynamoDB stream. */
export interface DynamoDBStreamEvent<R extends DynamoDBStreamRecord = DynamoDBStreamRecord> {
  Records: R[];
}

/** One Kinesis record, as Lambda delivers it; `kinesis.data` is base64 of the JSON change record. */
export interface KinesisStreamRecord {
  kinesis: {
    data: string;
    sequenceNumber: string;
    partitionKey?: string | undefined;
    approximateArrivalTimestamp?: number | undefined;
    kinesisSchemaVersion?: string | undefined;
  };
  eventSource?: string | undefined;
  eventSourceARN?: string | undefined;
  eventID?: string | undefined;
  eventName?: string | undefined;
  awsRegion?: string | undefined;
}

/** Lambda's event for a Kinesis data stream. */
export interface KinesisStreamEvent {
  Records: KinesisStreamRecord[];
}

/**
 * A change record decoded from Kinesis Data Streams for DynamoDB: the same
 * fields as a DynamoDB stream record (`tableName` says the table), plus the
 * Kinesis record's metadata, without its `data`.
 */
export interface KinesisChangeRecord extends DynamoDBStreamRecord {
  recordFormat?: string | undefined;
  kinesis: Omit<KinesisStreamRecord["kinesis"], "data">;
}

/** Lambda's partial batch response (`FunctionResponseTypes: ["ReportBatchItemFailures"]`). */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
