import type { WireItem } from "../format/wire";

/** What identifies a run, so that a checkpoint is never resumed against another table, config or scan. */
export interface RunIdentity {
  command: "verify" | "migrate" | "keys";
  table: string;
  /** The table's ARN and creation time: a table deleted and re-created (or restored) under the same name is another table. */
  tableId: string;
  /** Digest of the fields in scope, their keys, formats and contexts, and of `only`. */
  fingerprint: string;
  totalSegments: number;
}

/** Where one segment of the parallel scan stands. */
export interface SegmentPosition {
  /** The `LastEvaluatedKey` of the last page finished; undefined before the first. */
  lastKey: WireItem | undefined;
  done: boolean;
  /** True once a page of the segment held values not in their target state (sticky), so that a resumed `verify` cannot pass. */
  notCurrent?: boolean;
}

/**
 * Saves each segment's position after each page, so that a run continues
 * where it stopped. A store with leases (the DynamoDB checkpoint table) lets
 * several processes share a run: a segment belongs to the worker that claimed
 * it while that worker's heartbeat keeps its lease alive.
 */
export interface CheckpointStore {
  /** True when other processes share the checkpoint, so that a worker may take over their expired segments. */
  readonly shared: boolean;
  /**
   * Checks or records the run's identity; a stored checkpoint of another run
   * throws `migration.checkpointMismatch`. With `resume`, a missing checkpoint
   * throws `migration.checkpointMissing`.
   */
  open(identity: RunIdentity, resume: boolean): Promise<void>;
  /** Takes a segment: its position, or undefined when it is done or another live worker holds it. */
  claim(segment: number): Promise<SegmentPosition | undefined>;
  /** Records a finished page; false when the lease was lost (another worker took the segment over). */
  save(segment: number, position: SegmentPosition): Promise<boolean>;
  /** Gives a segment up without finishing it, so that another worker may take it at once. */
  release(segment: number): Promise<void>;
  /** True when a saved page of any segment held values not in their target state. */
  priorNotCurrent(): Promise<boolean>;
  /** Segments not yet done, whoever holds them. */
  unfinished(): Promise<number[]>;
  /** Stops heartbeats and flushes. */
  close(): Promise<void>;
}
