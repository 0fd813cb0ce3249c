import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import type { CheckpointStore, RunIdentity, SegmentPosition } from "./checkpoint-store";
import { checkIdentity } from "./file-checkpoint-store";
import { sleep, withRetry } from "./retry";

/** Options of {@link TableCheckpointStore}. */
export interface TableCheckpointOptions {
  /** The checkpoint table (partition key `id`, a string); created on demand, on-demand capacity. */
  tableName: string;
  /** Names the run in the table; every worker of one run gives the same. Default `<command>:<table>`. */
  runId?: string;
  /** How long a claimed segment stays a worker's without a heartbeat. Default 30 s. */
  leaseMs?: number;
}

const isNamed = (error: unknown, name: string) =>
  (error as { name?: unknown } | null)?.name === name;

/**
 * Checkpoints and segment leases in a DynamoDB table, shared by the workers
 * of one run on any number of machines. A worker claims a segment with a
 * conditional write that succeeds only if the segment is new, or unfinished
 * with an expired lease (or already its own); it keeps the lease alive with a
 * heartbeat every third of the lease, and every save is conditional on still
 * holding it. A worker that dies (SIGKILL, a lost machine) stops its
 * heartbeat, and after `leaseMs` another worker takes its segments over from
 * their last saved page. Clocks of the machines must agree to well within the
 * lease.
 */
export class TableCheckpointStore implements CheckpointStore {
  readonly shared = true;
  private runId = "";
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private readonly leaseMs: number;
  private readonly held = new Set<number>();
  private readonly lost = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private totalSegments = 0;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: TableCheckpointOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  private id(part: string | number): { id: { S: string } } {
    return { id: { S: `${this.runId}#${part}` } };
  }

  async open(identity: RunIdentity, resume: boolean): Promise<void> {
    this.runId = this.options.runId ?? `${identity.command}:${identity.table}`;
    this.totalSegments = identity.totalSegments;
    await this.ensureTable();
    const where = `"${this.runId}" in table ${this.options.tableName}`;
    if (resume) {
      const meta = await this.meta();
      // Precondition: --resume continues a run that exists; a typo in --run-id must not start over silently.
      if (!meta)
        throw new EncryptionError(
          "migration.checkpointMissing",
          `--resume: there is no run ${where}`,
          { table: identity.table },
        );
      checkIdentity(meta, identity, where);
    } else {
      await this.create(identity, where);
    }
    this.timer = setInterval(() => void this.heartbeat(), Math.max(50, this.leaseMs / 3));
    this.timer.unref();
  }

  private async meta(): Promise<RunIdentity | undefined> {
    const out = await withRetry(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: this.id("meta"),
          ConsistentRead: true,
        }),
      ),
    );
    const text = out.Item?.identity?.S;
    return text === undefined ? undefined : (JSON.parse(text) as RunIdentity);
  }

  /**
   * Starts the run, or joins it when another worker started it. A run whose
   * segments are all done is refused: a second pass under the same id would
   * scan nothing and report success.
   */
  private async create(identity: RunIdentity, where: string): Promise<void> {
    try {
      await withRetry(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: { ...this.id("meta"), identity: { S: JSON.stringify(identity) } },
            ConditionExpression: "attribute_not_exists(id)",
          }),
        ),
      );
    } catch (error) {
      if (!isNamed(error, "ConditionalCheckFailedException")) throw error;
      checkIdentity((await this.meta()) ?? identity, identity, where);
      if ((await this.unfinished()).length === 0)
        throw new EncryptionError(
          "migration.checkpointMismatch",
          `The run ${where} is finished: give --resume to report on it, or a new --run-id for a new pass`,
          { table: identity.table },
        );
    }
  }

  private async ensureTable(): Promise<void> {
    const TableName = this.options.tableName;
    try {
      // A pre-created table needs no dynamodb:CreateTable permission.
      const out = await this.client.send(new DescribeTableCommand({ TableName }));
      if (out.Table?.TableStatus === "ACTIVE") return;
    } catch (error) {
      if (!isNamed(error, "ResourceNotFoundException")) throw error;
    }
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    } catch (error) {
      if (!isNamed(error, "ResourceInUseException")) throw error;
    }
    for (;;) {
      const out = await this.client.send(new DescribeTableCommand({ TableName }));
      if (out.Table?.TableStatus === "ACTIVE") return;
      await sleep(200);
    }
  }

  async claim(segment: number): Promise<SegmentPosition | undefined> {
    const now = Date.now();
    try {
      const out = await withRetry(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: this.id(segment),
            UpdateExpression: "SET #o = :me, #l = :until, #d = if_not_exists(#d, :f)",
            ConditionExpression:
              "attribute_not_exists(id) OR (#d = :f AND (#l < :now OR #o = :me))",
            ExpressionAttributeNames: { "#o": "owner", "#l": "leaseUntil", "#d": "done" },
            ExpressionAttributeValues: {
              ":me": { S: this.owner },
              ":until": { N: String(now + this.leaseMs) },
              ":now": { N: String(now) },
              ":f": { BOOL: false },
            },
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      this.held.add(segment);
      this.lost.delete(segment);
      const lastKey = out.Attributes?.lastKey?.S;
      return {
        lastKey: lastKey ? (JSON.parse(lastKey) as WireItem) : undefined,
        done: false,
        notCurrent: out.Attributes?.notCurrent?.BOOL === true,
      };
    } catch (error) {
      if (isNamed(error, "ConditionalCheckFailedException")) return undefined;
      throw error;
    }
  }

  async save(segment: number, position: SegmentPosition): Promise<boolean> {
    if (this.lost.has(segment)) return false;
    try {
      await withRetry(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: this.id(segment),
            UpdateExpression: `SET #d = :d, #l = :until${position.lastKey ? ", lastKey = :k" : ""}${position.notCurrent ? ", notCurrent = :t" : ""}`,
            ConditionExpression: "#o = :me",
            ExpressionAttributeNames: { "#o": "owner", "#l": "leaseUntil", "#d": "done" },
            ExpressionAttributeValues: {
              ":me": { S: this.owner },
              ":d": { BOOL: position.done },
              ":until": { N: String(Date.now() + this.leaseMs) },
              ...(position.lastKey ? { ":k": { S: JSON.stringify(position.lastKey) } } : {}),
              ...(position.notCurrent ? { ":t": { BOOL: true } } : {}),
            },
          }),
        ),
      );
      if (position.done) this.held.delete(segment);
      return true;
    } catch (error) {
      if (!isNamed(error, "ConditionalCheckFailedException")) throw error;
      this.held.delete(segment);
      this.lost.add(segment);
      return false;
    }
  }

  async release(segment: number): Promise<void> {
    this.held.delete(segment);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.id(segment),
          UpdateExpression: "SET #l = :zero",
          ConditionExpression: "#o = :me",
          ExpressionAttributeNames: { "#o": "owner", "#l": "leaseUntil" },
          ExpressionAttributeValues: { ":me": { S: this.owner }, ":zero": { N: "0" } },
        }),
      );
    } catch {
      // The lease expires on its own.
    }
  }

  async priorNotCurrent(): Promise<boolean> {
    return (await this.segmentItems()).some((item) => item?.notCurrent?.BOOL === true);
  }

  private async segmentItems() {
    const out = [];
    for (let s = 0; s < this.totalSegments; s++) {
      const got = await withRetry(() =>
        this.client.send(
          new GetItemCommand({
            TableName: this.options.tableName,
            Key: this.id(s),
            ConsistentRead: true,
          }),
        ),
      );
      out.push(got.Item);
    }
    return out;
  }

  async unfinished(): Promise<number[]> {
    const items = await this.segmentItems();
    return items.flatMap((item, s) => (item?.done?.BOOL === true ? [] : [s]));
  }

  /** Extends the lease of every held segment; a segment whose lease another worker took is marked lost. */
  private async heartbeat(): Promise<void> {
    for (const segment of [...this.held]) {
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: this.id(segment),
            UpdateExpression: "SET #l = :until",
            ConditionExpression: "#o = :me AND #d = :f",
            ExpressionAttributeNames: { "#o": "owner", "#l": "leaseUntil", "#d": "done" },
            ExpressionAttributeValues: {
              ":me": { S: this.owner },
              ":until": { N: String(Date.now() + this.leaseMs) },
              ":f": { BOOL: false },
            },
          }),
        );
      } catch (error) {
        if (isNamed(error, "ConditionalCheckFailedException") && this.held.has(segment)) {
          this.held.delete(segment);
          this.lost.add(segment);
        }
      }
    }
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }
}
