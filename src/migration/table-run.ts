import { configRedactor, withLogRedaction } from "../plugin/log-redaction";
import { createHash } from "node:crypto";
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { ResolvedTable } from "../config/resolved-config";
import type { ResolvedBeaconKey } from "../beacons/resolved-beacon";
import { EncryptionError } from "../errors/encryption-error";
import { REQUEST_MIDDLEWARE_NAME, RESPONSE_MIDDLEWARE_NAME } from "../plugin/field-encryption";
import type { WireItem } from "../format/wire";
import { attributeValuesFromWire, wireFromAttributeValues } from "../items/attribute-values";
import { type SharedEngine, sharedEngine } from "../items/shared-engine";
import { requireTable } from "../items/table-lookup";
import { mapLimit } from "../util/map-limit";
import type { CheckpointStore, RunIdentity } from "./checkpoint-store";
import { conditionalWrite } from "./conditional-write";
import { FileCheckpointStore } from "./file-checkpoint-store";
import { type ItemPlan, type ItemWrite, planRewrites } from "./item-rewrite";
import { planBeaconWrites } from "./beacon-rewrite";
import { beaconNeedsRepair } from "./beacon-state";
import { hasBeacon } from "../beacons/beacon-keyring";
import { KeyLocator } from "./key-locator";
import {
  beaconsToRepair,
  countBad,
  countPage,
  hasValuesNotCurrent,
  MAX_LISTED,
  type MigrationReport,
} from "./migration-report";
import { type MigrationField, migrationFields } from "./migration-field";
import { analysePage, type ItemAnalysis } from "./page-analysis";
import { findStoredCopies } from "./copy-analysis";
import { redactKey } from "../copy-guard/key-copies";
import { RateLimiter } from "./rate-limiter";
import { DEFAULT_RETRY, type RetryPolicy, sleep, withRetry } from "./retry";
import { TableCheckpointStore } from "./table-checkpoint-store";
import type { MigrateTableOptions, VerifyTableOptions } from "./table-options";
import { type RewriteKind, rewriteKinds } from "./value-state";

const ALL_KINDS: readonly RewriteKind[] = ["plaintext", "keys", "formats", "beacons"];
const MAX_SEGMENTS = 1_000_000;
/** Segments one process scans at once by default; the rest wait their turn, so that `--segments 2000` does not mean 2,000 scans in flight. */
const DEFAULT_PARALLEL_SEGMENTS = 32;
/** The shortest lease: a heartbeat (a third of it) must be sure to land in time. */
const MIN_LEASE_MS = 3_000;

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
  const checkpoint = options.checkpoint;
  if (
    checkpoint &&
    "table" in checkpoint &&
    checkpoint.leaseMs !== undefined &&
    !(checkpoint.leaseMs >= MIN_LEASE_MS)
  )
    invalid(
      `leaseMs: expected at least ${MIN_LEASE_MS} ms, got ${String(checkpoint.leaseMs)}`,
      table,
    );
  if (
    options.parallelSegments !== undefined &&
    (!whole(options.parallelSegments) || options.parallelSegments < 1)
  )
    invalid(
      `parallelSegments: expected a whole number of at least 1, got ${String(options.parallelSegments)}`,
      table,
    );
  // Preconditions: an empty list would check or rewrite nothing and still report ok.
  if (options.only !== undefined && options.only.length === 0)
    invalid(`only: expected at least one of ${ALL_KINDS.join(", ")}`, table);
  if (options.fields !== undefined && options.fields.length === 0)
    invalid("fields: expected at least one configured field path", table);
  for (const kind of options.only ?? [])
    if (!ALL_KINDS.includes(kind))
      invalid(`only: expected some of ${ALL_KINDS.join(", ")}, got ${JSON.stringify(kind)}`, table);
}

/** Whether the run looks at beacons: `beacons` is in scope and some field in scope has one (`keys` lists keys only). */
function beaconsInScope(
  command: Command,
  targets: readonly MigrationField[],
  only: readonly RewriteKind[],
): boolean {
  return command !== "keys" && only.includes("beacons") && targets.some((t) => hasBeacon(t.field));
}

/** A digest of what decides each value's (and beacon's) target state, so that a checkpoint is resumed only by the same run. */
function fingerprint(
  command: Command,
  targets: readonly MigrationField[],
  only: readonly RewriteKind[],
  beaconKey: ResolvedBeaconKey | undefined,
  logicalName: string,
): string {
  // Without beaconed fields in scope, `beacons` changes nothing, so it does not change the fingerprint either.
  const kinds = beaconsInScope(command, targets, only) ? only : only.filter((k) => k !== "beacons");
  const fields = targets.map(({ field }) => ({
    path: field.path,
    keyId: field.keyId,
    readKeyIds: field.readKeyIds,
    format: field.format,
    scheme: field.scheme,
    accepts: [...field.accepts].sort(),
    context: field.contextText,
    beacon: field.beacon,
  }));
  // The beacon key itself (its wrapped form, which is no secret) and the logical table name enter every beacon: another key under the same KMS key must not resume this run.
  const beacons =
    kinds.includes("beacons") && beaconKey
      ? {
          beaconKey: beaconKey.keyId,
          logicalName,
          wrapped: createHash("sha256").update(beaconKey.wrapped).digest("hex"),
        }
      : {};
  return createHash("sha256")
    .update(JSON.stringify({ command, only: [...kinds].sort(), fields, ...beacons }))
    .digest("hex")
    .slice(0, 32);
}

function checkpointStore(
  command: Command,
  options: RunOptions,
  client: DynamoDBClient,
): CheckpointStore | undefined {
  if (options.dryRun || options.sample !== undefined) {
    // Precondition: --dry-run and --sample keep no checkpoint, so there is nothing to resume.
    if (options.resume)
      invalid("resume: --dry-run and --sample keep no checkpoint to resume", options.table);
    return undefined;
  }
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

/** The table's approximate item count, and what identifies this very table (a table re-created under the same name is another). */
async function describeTable(
  client: DynamoDBClient,
  table: string,
): Promise<{ itemCount: number | undefined; tableId: string }> {
  try {
    const out = await withRetry(() => client.send(new DescribeTableCommand({ TableName: table })));
    return {
      itemCount: out.Table?.ItemCount,
      tableId: `${out.Table?.TableArn ?? table}@${out.Table?.CreationDateTime?.toISOString() ?? "?"}`,
    };
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
  /** Whether beacons are classified (and, for `migrate`, repaired). */
  readonly beacons: boolean;
  stopping = false;
  failure: unknown;
  /** Segments with failed items in this run: not done, and not taken again by this process. */
  readonly dirty = new Set<number>();
  /** Segments this process is scanning now or will scan from its own share. */
  readonly mine = new Set<number>();
  /** True when a resumed checkpoint says earlier pages held values not in their target state. */
  carriedNotCurrent = false;
  private readonly started = Date.now();
  remainingSample: number | undefined;
  readonly retry: RetryPolicy;
  /** The plugin's log redaction, for the commands this run sends through the caller's client. */
  readonly redact: (value: unknown) => unknown;

  /** `command` with the plugin's log redaction: a caller's SDK logger must not print the stored values this run reads and writes. */
  logged<C extends { middlewareStack: object }>(command: C): C {
    return withLogRedaction(command, this.redact);
  }

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
    this.beacons = beaconsInScope(command, targets, only);
    this.rate = new RateLimiter(options.maxRate);
    this.capacity = new RateLimiter(options.maxCapacity);
    this.locator = new KeyLocator(engine.resolved.provider);
    this.redact = configRedactor(engine.resolved);
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
      // `keys` lists keys only: beacons are never in its scope.
      only: ALL_KINDS.filter((k) => this.only.has(k) && (k !== "beacons" || command !== "keys")),
      segments: { total: totalSegments, finished: [] },
      sampled: options.sample !== undefined,
      items: {
        scanned: 0,
        rewritten: 0,
        current: 0,
        notCurrent: 0,
        conflicts: 0,
        failed: 0,
        skipped: 0,
      },
      notes: [],
      fields: {},
      keys: [],
      undecryptable: [],
      failures: [],
      ...(command === "verify" ? { copies: [] } : {}),
      elapsedMs: 0,
    };
    if (command === "verify") this.report.items.copies = 0;
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
      ...(this.beacons ? { beacons: this.beaconProgress() } : {}),
    });
  }

  private beaconProgress(): { toRepair: number; repaired: number } {
    let toRepair = 0;
    let repaired = 0;
    for (const counts of Object.values(this.report.fields)) {
      toRepair += beaconsToRepair(counts);
      repaired += (counts.beacons?.written ?? 0) + (counts.beacons?.removed ?? 0);
    }
    return { toRepair, repaired };
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
    const deferred = Object.values(report.fields).reduce(
      (n, c) => n + (c.beacons?.deferred ?? 0),
      0,
    );
    // Beacons in scope left unwritten (deferred) mean lookups still miss those items: not ok.
    if (
      report.status === "ok" &&
      (hasValuesNotCurrent(report, this.command === "migrate" && !report.dryRun) ||
        this.carriedNotCurrent ||
        deferred > 0 ||
        (report.items.copies ?? 0) > 0)
    )
      report.status = "notCurrent";
    if (deferred > 0)
      report.notes.push(
        `${deferred} beacons of plaintext values were not written: their fields do not allow plaintext, so a lookup that met such an item would fail; they are written when the values are encrypted (migrate with plaintext in --only)`,
      );
    if (this.carriedNotCurrent && report.status === "notCurrent")
      report.notes.push(
        "Pages scanned before the checkpoint was resumed held values not in their target state; their counts are not in this report (run verify without the checkpoint for them)",
      );
    return report;
  }
}

/** True when the item holds a value that cannot be read or rewritten, or a beacon that cannot be checked. */
const isBad = (a: ItemAnalysis) =>
  a.fields.some(
    (f) =>
      f.states.some((s) => s.kind === "undecryptable" || s.kind === "invalid") ||
      f.beacon?.state.kind === "uncheckable",
  );

/** True when some value or beacon of the item is not in its target state, within `only` (undecryptable values always count). */
function notCurrentIn(run: Run, a: ItemAnalysis): boolean {
  return a.fields.some(
    (f) =>
      (f.beacon !== undefined && beaconNeedsRepair(f.beacon.state)) ||
      f.states.some((s) => {
        if (s.kind === "current") return false;
        const kinds = rewriteKinds(s);
        return kinds.length === 0 || kinds.some((k) => run.only.has(k));
      }),
  );
}

/** Plans the writes of analysed items: their values' rewrites and, when in scope, their beacons' repairs, one write per item. */
/** An item's write plan, and the beacons it leaves for the value's encryption (see `planBeaconWrites`). */
interface PlannedItem {
  plan: ItemPlan;
  deferred: string[];
}

async function planPage(run: Run, analysed: readonly ItemAnalysis[]): Promise<PlannedItem[]> {
  const plans = await planRewrites(run.engine, analysed, run.only);
  const deferred = analysed.map((): string[] => []);
  if (run.beacons) planBeaconWrites(analysed, plans, (path, item) => deferred[item]!.push(path));
  return plans.map((plan, i) => ({ plan, deferred: deferred[i]! }));
}

/** Counts the beacons an item's final plan left for later (counted once, whatever conflicts came before). */
function countDeferred(run: Run, deferred: readonly string[]): void {
  for (const path of deferred) run.report.fields[path]!.beacons!.deferred++;
}

/** Adds a write's changes (made, or with `dryRun` to be made) to the report. */
function countWrite(run: Run, write: ItemWrite): void {
  run.report.items.rewritten++;
  for (const [path, n] of write.values) run.report.fields[path]!.rewritten += n;
  for (const [path, change] of write.beacons) {
    const beacons = run.report.fields[path]!.beacons!;
    if (change === "set") beacons.written++;
    else beacons.removed++;
  }
  for (const [attribute, path] of write.composites)
    run.report.fields[path]!.beacons!.composites![attribute]!.written++;
}

/** DynamoDB's refusals of one item (say, over 400 KB once encrypted), which retrying cannot fix. */
const ITEM_REFUSALS = new Set(["ValidationException", "ItemCollectionSizeLimitExceededException"]);

/** What a page came to: items that failed, and whether values not in their target state remain. */
interface PageOutcome {
  failed: number;
  notCurrent: boolean;
}

/** `verify`: items of the page whose unencrypted attributes hold a copy of an encrypted field's plaintext. */
function countCopies(run: Run, page: readonly ItemAnalysis[]): void {
  const { report } = run;
  for (const copy of findStoredCopies(run.table, page)) {
    report.items.copies = (report.items.copies ?? 0) + 1;
    const key = run.keyOf(copy.item);
    if (copy.keyCopies.length > 0) {
      // The item may be listed already (an undecryptable value): its key there holds the copy too.
      const listed = JSON.stringify(key);
      for (const p of report.undecryptable)
        if (JSON.stringify(p.key) === listed) p.key = redactKey(p.key, copy.keyCopies);
    }
    if (report.copies && report.copies.length < MAX_LISTED)
      report.copies.push({
        key: redactKey(key, copy.keyCopies),
        field: copy.field,
        attribute: copy.attribute,
        code: "plaintext.copied",
      });
  }
}

/** Analyses a page (retrying throttling), counts it, and for `migrate` writes what it needs. */
async function processPage(run: Run, items: WireItem[]): Promise<PageOutcome> {
  const analysed = await run.attempt(() =>
    analysePage(run.engine, run.locator, run.targets, items, run.beacons),
  );
  countPage(run.report, analysed, run.keyOf, run.currentKeys);
  run.report.items.scanned += items.length;
  if (run.command === "verify") countCopies(run, analysed);
  if (run.command !== "migrate") {
    let notCurrent = false;
    for (const a of analysed) {
      const bad = isBad(a);
      const pending = notCurrentIn(run, a);
      if (bad) run.report.items.skipped++;
      else if (pending) run.report.items.notCurrent++;
      else run.report.items.current++;
      notCurrent ||= bad || pending;
    }
    return { failed: 0, notCurrent };
  }
  const plans = await run.attempt(() => planPage(run, analysed));
  const outcomes = await mapLimit(
    plans.map((planned, i) => ({ planned, analysis: analysed[i]! })),
    run.options.concurrency ?? 16,
    (entry) => writeItem(run, entry.analysis, entry.planned),
  );
  return {
    failed: outcomes.filter((o) => o === "failed").length,
    notCurrent: outcomes.some((o) => o === "bad" || o === "pending"),
  };
}

/**
 * Writes one item's plan; on a conflict re-reads the item, and retries unless
 * it is current now. Returns `failed`, `bad` (it keeps an undecryptable or
 * misshapen value, counted in the report) or `ok`.
 */
async function writeItem(
  run: Run,
  scanned: ItemAnalysis,
  first: PlannedItem,
): Promise<"failed" | "bad" | "pending" | "ok"> {
  const { items } = run.report;
  let { plan, deferred } = first;
  let analysis = scanned;
  /** How a settled item ends: undecryptable values first, then beacons left for later. */
  const settled = (bad: boolean) => {
    countDeferred(run, deferred);
    if (bad) items.skipped++;
    return bad ? "bad" : deferred.length > 0 ? "pending" : "ok";
  };
  const key = run.keyOf(scanned.item);
  for (let attempt = 0; ; attempt++) {
    const bad = isBad(analysis);
    if (analysis !== scanned && bad) countBad(run.report, analysis, run.keyOf); // found on the re-read
    if (plan.kind === "failed") {
      run.fail(key, plan.error);
      return "failed";
    }
    if (plan.kind === "none" || run.report.dryRun) {
      if (plan.kind === "write") countWrite(run, plan.write);
      else if (!bad && deferred.length > 0) items.notCurrent++;
      else if (!bad) items.current++;
      return settled(bad);
    }
    const write = plan.write;
    let outcome;
    try {
      outcome = await run.attempt(() =>
        conditionalWrite(run.client, run.options.table, write, run.redact),
      );
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (typeof name !== "string" || !ITEM_REFUSALS.has(name)) throw error;
      run.fail(key, error);
      return "failed";
    }
    await run.capacity.take(outcome.capacity);
    if (outcome.written) {
      countWrite(run, write);
      return settled(bad);
    }
    items.conflicts++;
    if (attempt >= (run.options.maxConflictRetries ?? 5)) {
      run.fail(
        key,
        new Error(`the application kept writing the item; gave up after ${attempt + 1} conflicts`),
      );
      return "failed";
    }
    const got = await run.attempt(() =>
      run.client.send(
        run.logged(
          new GetItemCommand({
            TableName: run.options.table,
            Key: attributeValuesFromWire(key),
            ConsistentRead: true,
            ReturnConsumedCapacity: "TOTAL",
          }),
        ),
      ),
    );
    await run.capacity.take(got.ConsumedCapacity?.CapacityUnits ?? 0);
    if (!got.Item) {
      items.current++; // deleted meanwhile: nothing left to migrate
      return "ok";
    }
    const item = wireFromAttributeValues(got.Item, run.options.table);
    const reread = await run.attempt(() =>
      analysePage(run.engine, run.locator, run.targets, [item], run.beacons),
    );
    analysis = reread[0]!;
    ({ plan, deferred } = (await run.attempt(() => planPage(run, reread)))[0]!);
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
  let notCurrent = position.notCurrent === true;
  // After a page with failed items the checkpoint stays before it, so that a resumed run retries them; the segment is then never marked done.
  let clean = true;
  for (;;) {
    if (run.stopping || run.options.signal?.aborted || run.remainingSample === 0) {
      await store?.release(segment);
      return;
    }
    const page = await run.attempt(() =>
      run.client.send(
        run.logged(
          new ScanCommand({
            TableName: run.options.table,
            Segment: segment,
            TotalSegments: totalSegments,
            Limit: run.options.pageSize ?? 100,
            ReturnConsumedCapacity: "TOTAL",
            ...(lastKey ? { ExclusiveStartKey: attributeValuesFromWire(lastKey) } : {}),
          }),
        ),
      ),
    );
    await run.capacity.take(page.ConsumedCapacity?.CapacityUnits ?? 0);
    let items = (page.Items ?? []).map((i) => wireFromAttributeValues(i, run.options.table));
    if (run.remainingSample !== undefined) {
      items = items.slice(0, run.remainingSample);
      run.remainingSample -= items.length;
    }
    await run.rate.take(items.length);
    const outcome = await processPage(run, items);
    notCurrent ||= outcome.notCurrent;
    if (outcome.failed > 0 && clean) {
      clean = false;
      run.dirty.add(segment);
    }
    lastKey = page.LastEvaluatedKey
      ? wireFromAttributeValues(page.LastEvaluatedKey, run.options.table)
      : undefined;
    const done = lastKey === undefined;
    if (store && clean && !(await store.save(segment, { lastKey, done, notCurrent }))) return; // another worker took the segment over
    run.progress();
    if (done) {
      if (clean) run.report.segments.finished.push(segment);
      else await store?.release(segment);
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
  // Precondition: `--only beacons` on fields without beacons would check nothing and still report ok.
  if (
    options.only !== undefined &&
    options.only.every((k) => k === "beacons") &&
    !targets.some((t) => hasBeacon(t.field))
  )
    invalid(
      `only: beacons, but no field in scope has a beacon (${targets.map((t) => t.field.path).join(", ")})`,
      options.table,
    );
  // Precondition: a client with the plugin would hand the tool decrypted values (plaintext counted wrongly) and refuse its conditional writes.
  if (
    options.client?.middlewareStack
      .identify()
      .some(
        (entry) =>
          entry.startsWith(RESPONSE_MIDDLEWARE_NAME) || entry.startsWith(REQUEST_MIDDLEWARE_NAME),
      )
  )
    invalid(
      "client: this DynamoDBClient has the fieldEncryption plugin; give a client without it (the tool reads stored values as they are and encrypts through the engine itself)",
      options.table,
    );
  const client = options.client ?? new DynamoDBClient({});
  const described = await describeTable(client, options.table);
  const estimatedItems = described.itemCount;
  let totalSegments = options.segments ?? 1;
  if (options.sample !== undefined)
    totalSegments = Math.min(
      MAX_SEGMENTS,
      Math.max(1, Math.ceil((estimatedItems ?? 0) / options.sample)),
    );
  const only = options.only ?? ALL_KINDS;
  const store = checkpointStore(command, options, client);
  const identity: RunIdentity = {
    tableId: described.tableId,
    command,
    table: options.table,
    fingerprint: fingerprint(command, targets, only, engine.resolved.beaconKey, table.logicalName),
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
  for (const s of own) run.mine.add(s);
  const parallel =
    options.sample !== undefined
      ? 1
      : Math.max(1, Math.min(own.length, options.parallelSegments ?? DEFAULT_PARALLEL_SEGMENTS));
  const runner = async (): Promise<void> => {
    for (;;) {
      if (run.stopping || options.signal?.aborted) return;
      let segment = queue.shift();
      if (segment === undefined && store?.shared) {
        // Take over segments whose worker stopped heartbeating; wait while live workers hold the rest.
        const unfinished = await store.unfinished();
        if (unfinished.length === 0) return;
        // Never a segment this process runs, or one whose items failed here (another worker may retry those).
        const rest = unfinished.filter((s) => !run.mine.has(s) && !run.dirty.has(s));
        if (rest.length === 0) {
          // What is left is this process's own (its runners finish it) or failed here.
          if (unfinished.every((s) => run.dirty.has(s) || run.mine.has(s))) return;
          await sleep(takeoverPause(options));
          continue;
        }
        segment = rest[Math.floor(Math.random() * rest.length)]!;
        run.mine.add(segment);
        const before = run.report.segments.finished.length;
        try {
          await runSegment(run, store, segment, totalSegments);
        } catch (error) {
          run.failure ??= error;
          run.stopping = true;
          return;
        } finally {
          run.mine.delete(segment);
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
    // A fresh file checkpoint holds only this run's pages, which the report counts already; a resumed one, or a shared run joined, holds earlier ones.
    if (store && (options.resume === true || store.shared) && (await store.priorNotCurrent()))
      run.carriedNotCurrent = true;
    complete = store?.shared
      ? (await store.unfinished()).length === 0
      : run.report.segments.finished.length === own.length || run.remainingSample === 0;
  } finally {
    await store?.close();
    if (!options.client) client.destroy();
  }
  return run.finish(complete);
}
