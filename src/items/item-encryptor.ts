import type { FieldEncryptionConfig } from "../config/config-types";
import type { ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { fieldEncryption, type FieldEncryptionPlugin } from "../plugin/field-encryption";
import { decryptRecords, type StreamRecordOptions } from "../streams/decrypt-stream-records";
import { decodeKinesisRecord } from "../streams/kinesis-records";
import type {
  DynamoDBStreamEvent,
  DynamoDBStreamRecord,
  KinesisChangeRecord,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from "../streams/stream-types";
import { type ItemShape, type ShapeItems, shapeCodec } from "./item-shape";
import type { TranslateConfig } from "./native-items";
import { ENGINE, type EngineCarrier, type SharedEngine, sharedEngine } from "./shared-engine";
import { requireTable } from "./table-lookup";
import { encryptWholeItems } from "./encrypt-whole-items";

/** Options of {@link createItemEncryptor}. */
export interface ItemEncryptorOptions<S extends ItemShape = ItemShape> {
  /**
   * The form of the items you pass and get back; see {@link ItemShape}.
   * Default `attributeValue` (as `DynamoDBClient` returns items). Stated,
   * never guessed, because one object can be read as either shape.
   */
  shape?: S;
  /** For `shape: "native"`: the `translateConfig` your `DynamoDBDocumentClient` uses. */
  translateConfig?: TranslateConfig;
}

/**
 * Encrypts and decrypts whole items outside a DynamoDB client, with the
 * plugin's engine: the same modes, binding, formats, data-key cache and
 * `EncryptionError` codes, so a value written by one is read by the other.
 * Every method returns new items; the ones you pass are never changed.
 */
export interface ItemEncryptor<S extends ItemShape = "attributeValue"> extends EngineCarrier {
  /** The item shape this encryptor takes and returns. */
  readonly shape: S;
  /**
   * The item with its configured fields encrypted, ready to store. `table`
   * is a configured table name or `logicalName`; an unknown one throws
   * `table.unknown`.
   *
   * @example
   * ```ts
   * const encryptor = createItemEncryptor(config, { shape: "native" });
   * const stored = await encryptor.encryptItem("Users", { pk: "u#1", ssn: "123-45-6789" });
   * // stored.ssn === "ENC:…"
   * ```
   */
  encryptItem(table: string, item: ShapeItems[S]): Promise<ShapeItems[S]>;
  /** {@link encryptItem} for many items of one table: one KMS call per data key for the batch. All or nothing. */
  encryptItems(table: string, items: readonly ShapeItems[S][]): Promise<ShapeItems[S][]>;
  /**
   * The stored item with its configured fields decrypted (`WriteOnly`
   * fields stay as stored).
   *
   * @example
   * ```ts
   * const { Item } = await plainClient.send(new GetItemCommand({ TableName: "Users", Key }));
   * const user = await createItemEncryptor(config).decryptItem("Users", Item!);
   * ```
   */
  decryptItem(table: string, item: ShapeItems[S]): Promise<ShapeItems[S]>;
  /**
   * {@link decryptItem} for many items of one table: one KMS call per data
   * key for the whole batch. All or nothing: the first failure throws.
   *
   * @example
   * ```ts
   * const users = await encryptor.decryptItems("Users", page.Items ?? []);
   * ```
   */
  decryptItems(table: string, items: readonly ShapeItems[S][]): Promise<ShapeItems[S][]>;
  /**
   * An encryptor for another item shape on the same engine and cache.
   *
   * @example
   * ```ts
   * const native = encryptor.withShape("native", { unmarshallOptions: { wrapNumbers: true } });
   * ```
   */
  withShape<T extends ItemShape>(shape: T, translateConfig?: TranslateConfig): ItemEncryptor<T>;
  /**
   * The plugin on this encryptor's engine, so a process holds one data-key
   * cache. Same as `fieldEncryption(encryptor)`.
   *
   * @example
   * ```ts
   * const encryptor = createItemEncryptor(config);
   * client.middlewareStack.use(encryptor.plugin());
   * ```
   */
  plugin(): FieldEncryptionPlugin;
  /**
   * A DynamoDB stream record (Lambda's shape) with `NewImage` and `OldImage`
   * decrypted, whatever its event name and view type. The table comes from
   * `eventSourceARN` (by table name or `logicalName`) unless `options.table`
   * names it.
   *
   * @example
   * ```ts
   * const record = await encryptor.decryptStreamRecord(event.Records[0]);
   * record.dynamodb?.NewImage; // { ssn: { S: "123-45-6789" }, … }
   * ```
   */
  decryptStreamRecord<R extends DynamoDBStreamRecord>(
    record: R,
    options?: StreamRecordOptions,
  ): Promise<R>;
  /**
   * Every record of a Lambda DynamoDB stream event decrypted: one KMS call
   * per data key for the event. The first record that fails throws, its
   * sequence number in the message; see `withDecryptedRecords` for partial
   * batch failures.
   *
   * @example
   * ```ts
   * export const handler = async (event: DynamoDBStreamEvent) => {
   *   const { Records } = await encryptor.decryptStreamEvent(event);
   * };
   * ```
   */
  decryptStreamEvent<E extends DynamoDBStreamEvent>(
    event: E,
    options?: StreamRecordOptions,
  ): Promise<E>;
  /**
   * The DynamoDB change record inside a Kinesis Data Streams for DynamoDB
   * record (base64 JSON), decoded and decrypted; the table is its `tableName`.
   *
   * @example
   * ```ts
   * const change = await encryptor.decryptKinesisRecord(event.Records[0]);
   * change.tableName; change.dynamodb?.NewImage;
   * ```
   */
  decryptKinesisRecord(record: KinesisStreamRecord): Promise<KinesisChangeRecord>;
  /** {@link decryptKinesisRecord} for every record of a Lambda Kinesis event, one KMS call per data key. */
  decryptKinesisEvent(event: KinesisStreamEvent): Promise<KinesisChangeRecord[]>;
}

const isList = (value: unknown): boolean => Array.isArray(value);

const SHAPES: readonly ItemShape[] = ["attributeValue", "json", "native"];

function build<S extends ItemShape>(
  engine: SharedEngine,
  shape: S,
  translate: TranslateConfig | undefined,
): ItemEncryptor<S> {
  // Precondition: a shape this library knows; any other would have to be guessed.
  if (!SHAPES.includes(shape)) {
    throw new EncryptionError(
      "config.invalid",
      `shape: expected one of ${SHAPES.join(", ")}, got ${JSON.stringify(shape)}`,
    );
  }
  const codec = shapeCodec(shape, translate);
  const { resolved, cipher } = engine;

  const toJobs = async (table: string, items: readonly ShapeItems[S][]) => {
    const t = requireTable(resolved, table);
    // Precondition: a batch is an array; one item goes through encryptItem or decryptItem.
    if (!isList(items)) {
      throw new EncryptionError("value.invalid", "Expected an array of items", { table: t.name });
    }
    const jobs: ItemJob[] = [];
    for (const item of items) jobs.push({ table: t, item: await codec.toWire(item, t.name) });
    return jobs;
  };
  const back = (jobs: ItemJob[]) => Promise.all(jobs.map(async (j) => codec.fromWire(j.item)));

  const encryptor: ItemEncryptor<S> = {
    [ENGINE]: engine,
    shape,
    async encryptItem(table, item) {
      return (await encryptor.encryptItems(table, [item]))[0]!;
    },
    async encryptItems(table, items) {
      const jobs = await toJobs(table, items);
      await encryptWholeItems(engine, jobs);
      return back(jobs);
    },
    async decryptItem(table, item) {
      return (await encryptor.decryptItems(table, [item]))[0]!;
    },
    async decryptItems(table, items) {
      const jobs = await toJobs(table, items);
      await cipher.decryptItems(jobs);
      return back(jobs);
    },
    withShape: (next, translateConfig) => build(engine, next, translateConfig),
    plugin: () => fieldEncryption(encryptor),
    async decryptStreamRecord(record, options) {
      return (await decryptRecords(engine, [record], options))[0]!;
    },
    async decryptStreamEvent(event, options) {
      // Precondition: an event with a Records array, as Lambda delivers it.
      if (typeof event !== "object" || event === null || !Array.isArray(event.Records))
        throw new EncryptionError("stream.recordInvalid", "The event has no Records array");
      return { ...event, Records: await decryptRecords(engine, event.Records, options) };
    },
    async decryptKinesisRecord(record) {
      return (await decryptRecords(engine, [decodeKinesisRecord(record)]))[0]!;
    },
    async decryptKinesisEvent(event) {
      if (typeof event !== "object" || event === null || !Array.isArray(event.Records))
        throw new EncryptionError("stream.recordInvalid", "The event has no Records array");
      return decryptRecords(engine, event.Records.map(decodeKinesisRecord));
    },
  };
  return Object.freeze(encryptor);
}

/**
 * Creates the standalone item API on the same `FieldEncryptionConfig` as the
 * plugin, for items outside a client: stream records, exports, imports, test
 * fixtures. Pass an existing encryptor instead of a config to share its
 * engine and data-key cache.
 *
 * @example
 * ```ts
 * import { createItemEncryptor } from "dynamodb-field-encryption";
 *
 * const encryptor = createItemEncryptor({
 *   keyId: "alias/app-data",
 *   tables: { Users: { partitionKey: "pk", fields: { ssn: {} } } },
 * });
 * const stored = await encryptor.encryptItem("Users", { pk: { S: "u#1" }, ssn: { S: "123-45-6789" } });
 * const back = await encryptor.decryptItem("Users", stored); // back.ssn.S === "123-45-6789"
 * ```
 */
export function createItemEncryptor<S extends ItemShape = "attributeValue">(
  config: FieldEncryptionConfig | EngineCarrier,
  options: ItemEncryptorOptions<S> = {},
): ItemEncryptor<S> {
  return build(
    sharedEngine(config),
    options.shape ?? ("attributeValue" as S),
    options.translateConfig,
  );
}
