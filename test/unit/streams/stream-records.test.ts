import { randomBytes } from "node:crypto";
import type { DynamoDBStreamEvent as LambdaDynamoDBStreamEvent } from "aws-lambda";
import {
  createItemEncryptor,
  type DynamoDBStreamRecord,
  EncryptionError,
  type FieldEncryptionConfig,
  type FieldEncryptionEvent,
  type JsonItem,
  type KinesisStreamRecord,
  LocalKeyProvider,
  withDecryptedRecords,
} from "../../../src";

const KEYS = { app: randomBytes(32) };
const ARN = (table: string) =>
  `arn:aws:dynamodb:us-east-1:123456789012:table/${table}/stream/2024-05-01T00:00:00.000`;

function config(events: FieldEncryptionEvent[] = []): FieldEncryptionConfig {
  return {
    keyId: "app",
    keyProvider: new LocalKeyProvider({ keys: KEYS }),
    onEvent: (e) => events.push(e),
    tables: {
      Users: { partitionKey: "pk", logicalName: "users", fields: { ssn: {}, "card.number": {} } },
    },
  };
}

const encryptor = createItemEncryptor(config(), { shape: "json" });
const plain = (i: number, ssn = `ssn-${i}`): JsonItem => ({
  pk: { S: `u#${i}` },
  ssn: { S: ssn },
  card: { M: { number: { S: `card-${i}` } } },
  photo: { B: "AQID" },
});
const stored = (i: number, ssn?: string) => encryptor.encryptItem("Users", plain(i, ssn));

async function record(
  i: number,
  eventName: "INSERT" | "MODIFY" | "REMOVE",
  view: "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES",
  table = "Users",
): Promise<DynamoDBStreamRecord> {
  const newImage = eventName !== "REMOVE" && view.includes("NEW") ? await stored(i) : undefined;
  const oldImage =
    eventName !== "INSERT" && view.includes("OLD") ? await stored(i, `old-${i}`) : undefined;
  return {
    eventID: `e${i}`,
    eventName,
    eventSource: "aws:dynamodb",
    eventSourceARN: ARN(table),
    awsRegion: "us-east-1",
    dynamodb: {
      Keys: { pk: { S: `u#${i}` } },
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: String(1000 + i),
      SizeBytes: 100,
      StreamViewType: view,
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

describe("decryptStreamRecord", () => {
  const cases = [
    ["INSERT", "NEW_IMAGE"],
    ["INSERT", "NEW_AND_OLD_IMAGES"],
    ["MODIFY", "NEW_IMAGE"],
    ["MODIFY", "OLD_IMAGE"],
    ["MODIFY", "NEW_AND_OLD_IMAGES"],
    ["REMOVE", "OLD_IMAGE"],
    ["REMOVE", "NEW_AND_OLD_IMAGES"],
  ] as const;
  it.each(cases)("%s with %s: every image present is decrypted", async (eventName, view) => {
    const input = await record(1, eventName, view);
    const before = structuredClone(input);
    const out = await encryptor.decryptStreamRecord(input);
    expect(input).toEqual(before);
    const images = [out.dynamodb?.NewImage, out.dynamodb?.OldImage].filter(Boolean);
    expect(images.length).toBe(input.dynamodb!.NewImage && input.dynamodb!.OldImage ? 2 : 1);
    if (input.dynamodb!.NewImage) expect(out.dynamodb!.NewImage).toEqual(plain(1));
    if (input.dynamodb!.OldImage) expect(out.dynamodb!.OldImage).toEqual(plain(1, "old-1"));
    expect(out.dynamodb!.SequenceNumber).toBe("1001");
    expect(out.eventName).toBe(eventName);
  });

  it.each(["INSERT", "MODIFY", "REMOVE"] as const)(
    "%s with KEYS_ONLY comes back unchanged, as a copy",
    async (eventName) => {
      const input = await record(2, eventName, "KEYS_ONLY");
      const out = await encryptor.decryptStreamRecord(input);
      expect(out).toEqual(input);
      expect(out).not.toBe(input);
    },
  );

  it("finds the table by logicalName in the stream ARN", async () => {
    const out = await encryptor.decryptStreamRecord(
      await record(3, "INSERT", "NEW_IMAGE", "users"),
    );
    expect(out.dynamodb!.NewImage).toEqual(plain(3));
  });

  it("refuses a record of a table the config does not name (table.unknown)", async () => {
    const error = await errorOf(
      encryptor.decryptStreamRecord(await record(4, "INSERT", "NEW_IMAGE", "Orders")),
    );
    expect(error.code).toBe("table.unknown");
    expect(error.message).toContain("sequence number 1004");
  });

  it("a record without eventSourceARN needs the table option (stream.recordInvalid otherwise)", async () => {
    const bare = await record(5, "INSERT", "NEW_IMAGE");
    delete bare.eventSourceARN;
    expect((await errorOf(encryptor.decryptStreamRecord(bare))).code).toBe("stream.recordInvalid");
    const out = await encryptor.decryptStreamRecord(bare, { table: "Users" });
    expect(out.dynamodb!.NewImage).toEqual(plain(5));
  });

  it("reads DynamoDBStreamsClient records (binary as Uint8Array) with shape attributeValue", async () => {
    const json = await record(6, "INSERT", "NEW_IMAGE");
    const sdk = {
      ...json,
      dynamodb: {
        ...json.dynamodb,
        NewImage: { ...json.dynamodb!.NewImage, photo: { B: new Uint8Array([1, 2, 3]) } },
      },
    };
    const out = await encryptor.decryptStreamRecord(sdk, { shape: "attributeValue" });
    expect(out.dynamodb.NewImage).toEqual({
      ...plain(6),
      photo: { B: new Uint8Array([1, 2, 3]) },
    });
  });

  it("names the record of a tampered value, never its content", async () => {
    const input = await record(7, "INSERT", "NEW_IMAGE");
    const other = await stored(8);
    input.dynamodb!.NewImage!.ssn = other.ssn;
    const error = await errorOf(encryptor.decryptStreamRecord(input));
    expect(error.code).toBe("ciphertext.tampered");
    expect(error.message).toContain("sequence number 1007");
    expect(error.message).not.toMatch(/ssn-\d/);
  });
});

describe("decryptStreamEvent", () => {
  it("decrypts 50 records with one KMS call", async () => {
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) => record(i, "MODIFY", "NEW_AND_OLD_IMAGES")),
    );
    const events: FieldEncryptionEvent[] = [];
    const out = await createItemEncryptor(config(events)).decryptStreamEvent({ Records: records });
    expect(out.Records.map((r) => r.dynamodb!.NewImage)).toEqual(records.map((_, i) => plain(i)));
    expect(events.filter((e) => e.type === "kms").length).toBe(1);
  });

  it("accepts the event as @types/aws-lambda types it, and returns the same type", async () => {
    const event = {
      Records: [await record(1, "INSERT", "NEW_IMAGE")],
    } as LambdaDynamoDBStreamEvent;
    const out: LambdaDynamoDBStreamEvent = await encryptor.decryptStreamEvent(event);
    expect(out.Records[0]!.dynamodb!.NewImage!.ssn).toEqual({ S: "ssn-1" });
  });
});

describe("Kinesis Data Streams for DynamoDB", () => {
  const kinesis = async (i: number, seq: string): Promise<KinesisStreamRecord> => {
    const change = await record(i, "INSERT", "NEW_IMAGE");
    delete change.eventSourceARN;
    const data = { ...change, tableName: "Users", recordFormat: "application/json" };
    return {
      kinesis: {
        data: Buffer.from(JSON.stringify(data)).toString("base64"),
        sequenceNumber: seq,
        partitionKey: "pk",
      },
      eventSource: "aws:kinesis",
      eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/users-changes",
    };
  };

  it("decodes the base64 JSON record and decrypts it; the table is its tableName", async () => {
    const change = await encryptor.decryptKinesisRecord(await kinesis(1, "49590"));
    expect(change.tableName).toBe("Users");
    expect(change.dynamodb!.NewImage).toEqual(plain(1));
    expect(change.kinesis).toEqual({ sequenceNumber: "49590", partitionKey: "pk" });
  });

  it("refuses data that is not base64 JSON of a change record (stream.recordInvalid)", async () => {
    const bad = await kinesis(1, "49591");
    bad.kinesis.data = Buffer.from("not json").toString("base64");
    const error = await errorOf(encryptor.decryptKinesisRecord(bad));
    expect(error.code).toBe("stream.recordInvalid");
    expect(error.message).toContain("49591");
  });

  it("withDecryptedRecords reports the Kinesis sequence number of a failed record", async () => {
    const records = [await kinesis(1, "a1"), await kinesis(2, "a2")];
    records[1]!.kinesis.data = Buffer.from("{}").toString("base64");
    const seen: unknown[] = [];
    const handler = withDecryptedRecords(
      encryptor,
      (event) => {
        seen.push(...event.Records.map((r) => r.dynamodb?.NewImage));
      },
      { reportBatchItemFailures: true },
    );
    expect(await handler({ Records: records }, {})).toEqual({
      batchItemFailures: [{ itemIdentifier: "a2" }],
    });
    expect(seen).toEqual([plain(1)]);
  });
});

describe("withDecryptedRecords", () => {
  const batch = async () => {
    const records = await Promise.all([0, 1, 2, 3].map((i) => record(i, "INSERT", "NEW_IMAGE")));
    records[2]!.dynamodb!.NewImage!.ssn = records[3]!.dynamodb!.NewImage!.ssn; // moved: tampered
    return { Records: records };
  };

  it("hands the handler decrypted records and returns what it returns", async () => {
    const event = { Records: [await record(1, "INSERT", "NEW_IMAGE")] };
    const handler = withDecryptedRecords(config(), (e) => {
      expect(e.Records[0]!.dynamodb!.NewImage).toEqual(plain(1));
      return { batchItemFailures: [] };
    });
    expect(await handler(event, {})).toEqual({ batchItemFailures: [] });
  });

  it("with reportBatchItemFailures, reports the first undecryptable record and hands over only the records before it", async () => {
    const event = await batch();
    const errors: unknown[] = [];
    const seen: string[] = [];
    const handler = withDecryptedRecords(
      encryptor,
      (e) => {
        for (const r of e.Records) seen.push((r.dynamodb!.NewImage!.ssn as { S: string }).S);
        return { batchItemFailures: [{ itemIdentifier: "1001" }] };
      },
      { reportBatchItemFailures: true, onRecordError: (error) => errors.push(error) },
    );
    expect(await handler(event, {})).toEqual({
      batchItemFailures: [{ itemIdentifier: "1001" }, { itemIdentifier: "1002" }],
    });
    expect(seen).toEqual(["ssn-0", "ssn-1"]);
    expect(errors).toEqual([expect.objectContaining({ code: "ciphertext.tampered" })]);
  });

  it("without reportBatchItemFailures, fails the invocation and never calls the handler", async () => {
    const handler = jest.fn();
    const wrapped = withDecryptedRecords(encryptor, handler);
    expect((await errorOf(wrapped(await batch(), {}))).code).toBe("ciphertext.tampered");
    expect(handler).not.toHaveBeenCalled();
  });

  it("refuses an event whose records are not all from DynamoDB or all from Kinesis", async () => {
    const event = await batch();
    event.Records[0]!.eventSource = "aws:sqs";
    const wrapped = withDecryptedRecords(encryptor, () => undefined, {
      reportBatchItemFailures: true,
    });
    expect((await errorOf(wrapped(event, {}))).code).toBe("stream.recordInvalid");
  });
});
