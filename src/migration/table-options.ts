import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { FieldEncryptionConfig } from "../config/config-types";
import type { EngineCarrier } from "../items/shared-engine";
import type { RewriteKind } from "./value-state";

/** Where checkpoints go: a local file, or a DynamoDB table shared by workers on many machines. */
export type CheckpointOption =
  | {
      /** A JSON file, rewritten after each page. */
      file: string;
    }
  | {
      /** A DynamoDB table (partition key `id`, string), created on demand, holding checkpoints and segment leases. */
      table: string;
      /** Names the run in the table; every worker of one run gives the same one. Default `<command>:<table>`. */
      runId?: string;
      /** How long a segment stays claimed without a heartbeat; a killed worker's segments are taken over after it. Default 30,000 ms, at least 3,000. */
      leaseMs?: number;
    };

/** Live figures of a run, passed to `onProgress` after each page. */
export interface MigrationProgress {
  scanned: number;
  rewritten: number;
  current: number;
  conflicts: number;
  failed: number;
  /** Items scanned per second since the start. */
  itemsPerSecond: number;
  /** DynamoDB's approximate item count of the table (`DescribeTable`, updated about every six hours), for an ETA. */
  estimatedItems: number | undefined;
  segmentsFinished: number;
  totalSegments: number;
  /**
   * When beacons are in scope (`only`) and some field in scope has one:
   * beacons found missing, stale or orphaned so far, and those written or
   * removed (with `dryRun`: to be).
   */
  beacons?: { toRepair: number; repaired: number };
}

/** Options shared by `verifyTable`, `migrateTable` and `listKeys`. */
export interface TableToolOptions {
  /**
   * The application's config (or an `ItemEncryptor` to share its engine and
   * data-key cache), so that the tool and the application cannot disagree.
   */
  config: FieldEncryptionConfig | EngineCarrier;
  /** The DynamoDB table to scan: a configured table name (or a table whose `logicalName` is configured). */
  table: string;
  /**
   * A `DynamoDBClient` **without** the plugin, for the raw reads and the
   * conditional writes (the tool encrypts through the engine itself, and must
   * see stored values as they are). Default: a new client with the SDK's
   * default credentials, region and endpoint resolution.
   */
  client?: DynamoDBClient;
  /** Only these configured field paths (`["ssn", "card.number"]`). Default: every configured field. */
  fields?: readonly string[];
  /** Parallel scan segments (DynamoDB `TotalSegments`), run concurrently. Default 1. */
  segments?: number;
  /** At most this many segments scanned at once by this process (the others wait their turn). Default 32. */
  parallelSegments?: number;
  /**
   * This process's share of the segments when W processes split one table:
   * `{ index: k, count: W }` takes the segments `s` with `s % W === k`
   * (`k` from 0, as AWS Batch array jobs and Kubernetes indexed Jobs number
   * them). With a checkpoint table, a worker that finishes its share also
   * takes over segments whose worker stopped heartbeating.
   */
  worker?: { index: number; count: number };
  /** Items per scan page (`Limit`); each page is one checkpoint. Default 100. */
  pageSize?: number;
  /** Upper bound on items per second, so that the tool does not starve the application. */
  maxRate?: number;
  /** Upper bound on consumed capacity units per second (reads and writes, from `ReturnConsumedCapacity`). */
  maxCapacity?: number;
  /**
   * How often a call throttled or failed transiently (DynamoDB throttling, a
   * KMS throttle or 5xx) is retried, with exponential backoff and full jitter
   * from 100 ms up to 10 s, before the run stops with its checkpoint saved.
   * Default 8. (The SDK clients' own retries come first.)
   */
  retries?: number;
  /** Aborting stops the run after the pages in flight: their writes finish and the checkpoint is saved. */
  signal?: AbortSignal;
  /** Called after each page with the run's figures. */
  onProgress?: (progress: MigrationProgress) => void;
}

/** Options of `verifyTable` and `listKeys`. */
export interface VerifyTableOptions extends TableToolOptions {
  /** Check about this many items from random segments instead of the whole table: a quick look, not a gate. */
  sample?: number;
  /**
   * Which non-current states fail the check, as for `migrate --only`. Default
   * all four: plaintext, retired keys, other formats, and beacons (missing,
   * stale or orphaned; beacons are not looked at when `beacons` is left out).
   * Undecryptable values, and beacons that cannot be checked, always fail it.
   */
  only?: readonly RewriteKind[];
  /** Checkpoints, to resume a long verification; none by default (a verification is usually run whole). */
  checkpoint?: CheckpointOption;
  /** Continue from the checkpoint instead of starting over. */
  resume?: boolean;
}

/** Options of `migrateTable`. */
export interface MigrateTableOptions extends TableToolOptions {
  /**
   * Which rewrites to make: `plaintext`, `keys` (retired keys), `formats`
   * (other formats or schemes), `beacons` (write missing or stale beacons,
   * remove orphaned ones; a plaintext value's beacon only with its encryption
   * unless the field allows plaintext). Default all four, so that an item is
   * made fully current in one conditional `UpdateItem`.
   */
  only?: readonly RewriteKind[];
  /** Report what would change, and write nothing (no checkpoint either). */
  dryRun?: boolean;
  /** Where to save progress. Default: the file `dynamodb-field-encryption-<table>.checkpoint.json` in the working directory (with `-<k>-of-<W>` for a worker). */
  checkpoint?: CheckpointOption;
  /** Continue from the checkpoint instead of starting over. */
  resume?: boolean;
  /** Conditional writes in flight per segment. Default 16. */
  concurrency?: number;
  /** How often an item is re-read and retried after the application wrote it first. Default 5. */
  maxConflictRetries?: number;
}
