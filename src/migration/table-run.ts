import { createHash } from "node:crypto";
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import { attributeValuesFromWire, wireFromAttributeValues } from "../items/attribute-values";
import { type SharedEngine, sharedEngine } from "../items/shared-engine";
import { requireTable } from "../items/table-lookup";
import { mapLimit } from "../util/map-limit";
import type { CheckpointStore, RunIdentity } from "./checkpoint-store";
import { conditionalWrite } from "./conditional-write";
import { FileCheckpointStore } from "./file-checkpoint-store";
import { type ItemPlan, planRewrites } from "./item-rewrite";
import { KeyLocator } from "./key-locator";
import {
  countPage,
  hasValuesNotCurrent,
  MAX_LISTED,
  type MigrationReport,
} from "./migration-report";
import { type MigrationField, migrationFields } from "./migration-field";
import { analysePage } from "./page-analysis";
import { RateLimiter } from "./rate-limiter";
import { DEFAULT_RETRY, type RetryPolicy, sleep, withRetry } from "./retry";
import { TableCheckpointStore } from "./table-checkpoint-store";
import type { MigrateTableOptions, VerifyTableOptions } from "./table-options";
import type { RewriteKind } from "./value-state";

const ALL_KINDS: readonly RewriteKind[] = ["plaintext", "keys", "formats"];
const MAX_SEGMENTS = 1_000_000;

type Command = MigrationReport["command"];
type RunOptions = VerifyTableOptions & MigrateTableOptions;

function invalid(message: string, table: string): never {
  throw new EncryptionError("migration.optionsInvalid", message, { table });
}

const whole = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n);

/** Checks the options that do not need DynamoDB; mistakes throw `migration.optionsInvalid` before anything is read. */
function checkOptions(options: RunOptions, table: string): void {
  const segments = options.segments ?? 1;
  // Preconditions: each bound is what DynamoDB's parallel scan and the worker split can honour; anything else would skip or repeat segments.
  if (!whole(segments) || segments < 1 || segments > MAX_SEGMENTS)
    invalid(
      `segments: expected a whole number from 1 to ${MAX_SEGMENTS}, got ${String(segments)}`,
      table,
    );
  if (options.worker) {
    const { index, count } = options.worker;
    if (!whole(count) || count < 1 || count > segments)
      invalid(
        `worker: the worker count must be from 1 to the number of segments (${segments}), got ${String(count)}`,
        table,
      );
    if (!whole(index) || index < 0 || index >= count)
      invalid(
        `worker: the worker index must be from 0 to ${count - 1} (worker k/W counts k from 0), got ${String(index)}`,
        table,
      );
  }
  for (const [name, value] of [
    ["pageSize", options.pageSize],
    ["sample", options.sample],
    ["concurrency", options.concurrency],
  ] as const)
    if (value !== undefined && (!whole(value) || value < 1))
      invalid(`${name}: expected a whole number of at least 1, got ${String(value)}`, table);
  for (const [name, value] of [
    ["maxRate", options.maxRate],
    ["maxCapacity", options.maxCapacity],
  ] as const)
    if (value !== undefined && !(typeof value === "number" && value > 0 && Number.isFinite(value)))
      invalid(`${name}: expected a positive number, got ${String(value)}`, table);
  if (
    options.maxConflictRetries !== undefined &&
    (!whole(options.maxConflictRetries) || options.maxConflictRetries < 0)
  )
    invalid(
      `maxConflictRetries: expected a whole number, got ${String(options.maxConflictRetries)}`,
      table,
    );
  if (options.retries !== undefined && (!whole(options.retries) || options.retries < 0))
    invalid(`retries: expected a whole number, got ${String(options.retries)}`, table);
  for (const kind of options.only ?? [])
    if (!ALL_KINDS.includes(kind))
      invalid(`only: expected some of ${ALL_KINDS.join(", ")}, got ${JSON.stringify(kind)}`, table);
}

/** A digest of what decides each value's target state, so that a checkpoint is resumed only by the same run. */
function fingerprint(
  command: Command,
  targets: readonly MigrationField[],
  only: readonly RewriteKind[],
): string {
  const fields = targets.map(({ field }) => ({
    path: field.path,
    keyId: field.keyId,
    readKeyIds: field.readKeyIds,
    format: field.format,
    scheme: field.scheme,
    accepts: [...field.accepts].sort(),
    context: field.contextText,
  }));
  return createHash("sha256")
    .update(JSON.stringify({ command, only: [...only].sort(), fields }))
    .digest("hex")
    .slice(0, 32);
}

function checkpointStore(
  command: Command,
  options: RunOptions,
  client: DynamoDBClient,
): CheckpointStore | undefined {
  if (options.dryRun || options.sample !== undefined) return undefined;
  const checkpoint =
    options.checkpoint ??
    (command === "migrate"
      ? {
          file: `dynamodb-field-encryption-${options.table}${options.worker ? `-${options.worker.index}-of-${options.worker.count}` : ""}.checkpoint.json`,
        }
      : undefined);
  if (!checkpoint) {
    if (options.resume)
      invalid("resume: there is no checkpoint to resume (give checkpoint)", options.table);
    return undefined;
  }
  if ("file" in checkpoint) return new FileCheckpointStore(checkpoint.file);
  return new TableCheckpointStore(client, {
    tableName: checkpoint.table,
    ...(checkpoint.runId !== undefined ? { runId: checkpoint.runId } : {}),
    ...(checkpoint.leaseMs !== undefined ? { leaseMs: checkpoint.leaseMs } : {}),
  });
}

async function describeTable(client: DynamoDBClient, table: string): Promise<number | undefined> {
  try {
    const out = await withRetry(() => client.send(new DescribeTableCommand({ TableName: table })));
    return out.Table?.ItemCount;
  } catch (error) {
    if ((error as { name?: unknown }).name === "ResourceNotFoundException")
      throw new EncryptionError(
        "migration.tableNotFound",
        `DynamoDB has no table "${table}" in this region and account (DescribeTable: ResourceNotFoundException)`,
        { table, cause: error },
      );
    throw error;
  }
}

const codeOf = (error: unknown) =>
  error instanceof EncryptionError
    ? error.code
    : ((error as { name?: string } | null)?.name ?? "error");
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Everything one run shares between its segments. */
class Run {
  readonly report: MigrationReport;
  readonly rate: RateLimiter;
  readonly capacity: RateLimiter;
  readonly locator: KeyLocator;
  readonly currentKeys: ReadonlySet<string>;
  readonly only: ReadonlySet<RewriteKind>;
  stopping = false;
  failure: unknown;
  private readonly started = Date.now();
  remainingSample: number | undefined;
  readonly retry: RetryPolicy;

  constructor(
    readonly command: Command,
    readonly options: RunOptions,
    readonly engine: SharedEngine,
    readonly table: ResolvedTable,
    readonly targets: readonly MigrationField[],
    readonly client: DynamoDBClient,
    readonly estimatedItems: number | undefined,
    totalSegments: number,
  ) {
    const only = options.only ?? ALL_KINDS;
    this.only = new Set(only);
    this.rate = new RateLimiter(options.maxRate);
    this.capacity = new RateLimiter(options.maxCapacity);
    this.locator = new KeyLocator(engine.resolved.provider);
    this.currentKeys = new Set(table.fields.map((f) => f.keyId));
    this.remainingSample = options.sample;
    this.retry = {
      ...DEFAULT_RETRY,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
    };
    this.report = {
      command,
      table: options.table,
      status: "ok",
      dryRun: options.dryRun === true,
      only: ALL_KINDS.filter((k) => this.only.has(k)),
      segments: { total: totalSegments, finished: [] },
      sampled: options.sample !== undefined,
      items: { scanned: 0, rewritten: 0, current: 0, conflicts: 0, failed: 0, skipped: 0 },
      fields: {},
      keys: [],
      undecryptable: [],
      failures: [],
      elapsedMs: 0,
    };
  }

  /** Runs a call with the run's retry policy for throttling and transient failures. */
  attempt = <T>(call: () => Promise<T>): Promise<T> => withRetry(call, this.retry);

  keyOf = (item: WireItem): WireItem => {
    const key: WireItem = {};
    for (const name of [this.table.partitionKey, this.table.sortKey])
      if (name !== undefined && item[name] !== undefined) key[name] = item[name];
    return key;
  };

  progress(): void {
    const { items, segments } = this.report;
    const seconds = (Date.now() - this.started) / 1000;
    this.options.onProgress?.({
      scanned: items.scanned,
      rewritten: items.rewritten,
      current: items.current,
      conflicts: items.conflicts,
      failed: items.failed,
      itemsPerSecond: seconds > 0 ? items.scanned / seconds : 0,
      estimatedItems: this.estimatedItems,
      segmentsFinished: segments.finished.length,
      totalSegments: segments.total,
    });
  }

  fail(key: WireItem, error: unknown, field?: string): void {
    this.report.items.failed++;
    if (this.report.failures.length < MAX_LISTED)
      this.report.failures.push({
        key,
        ...(field !== undefined ? { field } : {}),
        code: codeOf(error),
        message: messageOf(error),
      });
  }

  finish(complete: boolean): MigrationReport {
    const report = this.report;
    report.elapsedMs = Date.now() - this.started;
    const aborted = this.options.signal?.aborted === true;
    if (this.failure !== undefined) {
      report.status = "failed";
      report.error = { code: codeOf(this.failure), message: messageOf(this.failure) };
    } else if (aborted && !complete) {
      report.status = "interrupted";
      report.error = {
        code: undefined,
        message: `stopped by ${String(this.options.signal?.reason ?? "abort")}; the checkpoint is saved`,
      };
    } else if (report.items.failed > 0) report.status = "failed";
    else if (hasValuesNotCurrent(report, this.command === "migrate" && !report.dryRun))
      report.status = "notCurrent";
    return report;
  }
}

/** Analyses a page (retrying throttling), counts it, and for `migrate` writes what it needs. */
async function processPage(run: Run, items: WireItem[]): Promise<void> {
  const analysed = await run.attempt(() =>
    analysePage(run.engine, run.locator, run.targets, items),
  );
  countPage(run.report, analysed, run.keyOf, run.currentKeys);
  run.report.items.scanned += items.length;
  const bad = analysed.map((a) =>
    a.fields.some((f) => f.states.some((s) => s.kind === "undecryptable" || s.kind === "invalid")),
  );
  if (run.command !== "migrate") {
    bad.forEach((b) => (b ? run.report.items.skipped++ : run.report.items.current++));
    return;
  }
  const plans = await run.attempt(() => planRewrites(run.engine, analysed, run.only));
  await mapLimit(
    plans.map((plan, i) => ({ plan, item: analysed[i]!.item, bad: bad[i]! })),
    run.options.concurrency ?? 16,
    (entry) => writeItem(run, entry.item, entry.plan, entry.bad),
  );
}

/** Writes one item's plan; on a conflict re-reads the item, and retries unless it is current now. */
async function writeItem(run: Run, read: WireItem, first: ItemPlan, bad: boolean): Promise<void> {
  const { items } = run.report;
  let plan = first;
  const key = run.keyOf(read);
  for (let attempt = 0; ; attempt++) {
    if (plan.kind === "failed") return run.fail(key, plan.error);
    if (plan.kind === "none") {
      if (bad) items.skipped++;
      else items.current++;
      return;
    }
    const write = plan.write;
    if (run.report.dryRun) {
      items.rewritten++;
      for (const [path, n] of write.values) run.report.fields[path]!.rewritten += n;
      return;
    }
    const outcome = await run.attempt(() => conditionalWrite(run.client, run.options.table, write));
    await run.capacity.take(outcome.capacity);
    if (outcome.written) {
      items.rewritten++;
      for (const [path, n] of write.values) run.report.fields[path]!.rewritten += n;
      return;
    }
    items.conflicts++;
    if (attempt >= (run.options.maxConflictRetries ?? 5))
      return run.fail(
        key,
        new Error(`the application kept writing the item; gave up after ${attempt + 1} conflicts`),
      );
    const got = await run.attempt(() =>
      run.client.send(
        new GetItemCommand({
          TableName: run.options.table,
          Key: attributeValuesFromWire(key),
          ConsistentRead: true,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    await run.capacity.take(got.ConsumedCapacity?.CapacityUnits ?? 0);
    if (!got.Item) {
      items.current++; // deleted meanwhile: nothing left to migrate
      return;
    }
    const item = wireFromAttributeValues(got.Item, run.options.table);
    const analysed = await run.attempt(() =>
      analysePage(run.engine, run.locator, run.targets, [item]),
    );
    bad = analysed[0]!.fields.some((f) =>
      f.states.some((s) => s.kind === "undecryptable" || s.kind === "invalid"),
    );
    plan = (await run.attempt(() => planRewrites(run.engine, analysed, run.only)))[0]!;
  }
}

/** Scans one segment from its checkpoint, page by page, saving after each page. */
async function runSegment(
  run: Run,
  store: CheckpointStore | undefined,
  segment: number,
  totalSegments: number,
): Promise<void> {
  const position = store ? await store.claim(segment) : { lastKey: undefined, done: false };
  if (!position) return;
  let lastKey = position.lastKey;
  for (;;) {
    if (run.stopping || run.options.signal?.aborted || run.remainingSample === 0) {
      await store?.release(segment);
      return;
    }
    const page = await run.attempt(() =>
      run.client.send(
        new ScanCommand({
          TableName: run.options.table,
          Segment: segment,
          TotalSegments: totalSegments,
          Limit: run.options.pageSize ?? 100,
          ReturnConsumedCapacity: "TOTAL",
          ...(lastKey ? { ExclusiveStartKey: attributeValuesFromWire(lastKey) } : {}),
        }),
      ),
    );
    await run.capacity.take(page.ConsumedCapacity?.CapacityUnits ?? 0);
    let items = (page.Items ?? []).map((i) => wireFromAttributeValues(i, run.options.table));
    if (run.remainingSample !== undefined) {
      items = items.slice(0, run.remainingSample);
      run.remainingSample -= items.length;
    }
    await run.rate.take(items.length);
    await processPage(run, items);
    lastKey = page.LastEvaluatedKey
      ? wireFromAttributeValues(page.LastEvaluatedKey, run.options.table)
      : undefined;
    const done = lastKey === undefined;
    if (store && !(await store.save(segment, { lastKey, done }))) return; // another worker took the segment over
    run.progress();
    if (done) {
      run.report.segments.finished.push(segment);
      return;
    }
  }
}

/** How long a worker waits before looking again for segments to take over: half a lease, at most 5 s. */
function takeoverPause(options: RunOptions): number {
  const checkpoint = options.checkpoint;
  const lease = checkpoint && "table" in checkpoint ? (checkpoint.leaseMs ?? 30_000) : 30_000;
  return Math.min(5_000, lease / 2);
}

function shuffle<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/**
 * Runs `verify`, `migrate` or `keys` over a table: validates everything that
 * can be checked before reading (config, table, options, checkpoint), then
 * scans the segments of this worker concurrently, page by page.
 */
export async function runTable(command: Command, options: RunOptions): Promise<MigrationReport> {
  const engine = sharedEngine(options.config);
  const table = requireTable(engine.resolved, options.table);
  checkOptions(options, options.table);
  const targets = migrationFields(table, options.fields);
  const client = options.client ?? new DynamoDBClient({});
  const estimatedItems = await describeTable(client, options.table);
  let totalSegments = options.segments ?? 1;
  if (options.sample !== undefined)
    totalSegments = Math.min(
      MAX_SEGMENTS,
      Math.max(1, Math.ceil((estimatedItems ?? 0) / options.sample)),
    );
  const only = options.only ?? ALL_KINDS;
  const store = checkpointStore(command, options, client);
  const identity: RunIdentity = {
    command,
    table: options.table,
    fingerprint: fingerprint(command, targets, only),
    totalSegments,
  };
  await store?.open(identity, options.resume === true);
  const run = new Run(
    command,
    options,
    engine,
    table,
    targets,
    client,
    estimatedItems,
    totalSegments,
  );
  const worker = options.worker ?? { index: 0, count: 1 };
  let own: number[] = [];
  for (let s = worker.index; s < totalSegments; s += worker.count) own.push(s);
  if (options.sample !== undefined) own = shuffle(own);
  const queue = [...own];
  const parallel = options.sample !== undefined ? 1 : Math.max(1, own.length);
  const runner = async (): Promise<void> => {
    for (;;) {
      if (run.stopping || options.signal?.aborted) return;
      let segment = queue.shift();
      if (segment === undefined && store?.shared) {
        // Take over segments whose worker stopped heartbeating; wait while live workers hold the rest.
        const rest = await store.unfinished();
        if (rest.length === 0) return;
        segment = rest[Math.floor(Math.random() * rest.length)];
        const before = run.report.segments.finished.length;
        try {
          await runSegment(run, store, segment!, totalSegments);
        } catch (error) {
          run.failure ??= error;
          run.stopping = true;
          return;
        }
        if (run.report.segments.finished.length === before) await sleep(takeoverPause(options));
        continue;
      }
      if (segment === undefined) return;
      try {
        await runSegment(run, store, segment, totalSegments);
      } catch (error) {
        run.failure ??= error;
        run.stopping = true;
      }
    }
  };
  let complete: boolean;
  try {
    await Promise.all(Array.from({ length: parallel }, runner));
    complete = store?.shared
      ? (await store.unfinished()).length === 0
      : run.report.segments.finished.length === own.length || run.remainingSample === 0;
  } finally {
    await store?.close();
    if (!options.client) client.destroy();
  }
  return run.finish(complete);
}
