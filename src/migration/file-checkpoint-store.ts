import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { EncryptionError } from "../errors/encryption-error";
import type { CheckpointStore, RunIdentity, SegmentPosition } from "./checkpoint-store";

interface FileContent {
  version: 1;
  identity: RunIdentity;
  segments: Record<string, SegmentPosition>;
}

/** Compares two run identities and throws when a checkpoint belongs to another run. */
export function checkIdentity(stored: RunIdentity, identity: RunIdentity, where: string): void {
  const differs = (["command", "table", "tableId", "fingerprint", "totalSegments"] as const).filter(
    (k) => stored[k] !== identity[k],
  );
  // Precondition: a checkpoint is resumed only by the run that wrote it; another table, config or segment count would skip items.
  if (differs.length > 0)
    throw new EncryptionError(
      "migration.checkpointMismatch",
      `The checkpoint ${where} belongs to another run (its ${differs.join(", ")} differ${differs.length === 1 ? "s" : ""}: it was written for ${stored.command} of ${stored.table} with ${stored.totalSegments} segments; the fingerprint covers the fields in scope, their keys, formats, contexts and beacons, --only, and with beacons the beacon key and the logical table name). Delete it, or run with the options it was made with.`,
      { table: identity.table },
    );
}

/**
 * A checkpoint in a local JSON file, for one process (the default). Each save
 * rewrites the file through a temporary file and a rename, so a crash leaves
 * the old or the new checkpoint, never half of one.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly shared = false;
  private content: FileContent | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async open(identity: RunIdentity, resume: boolean): Promise<void> {
    if (resume) {
      let text: string;
      try {
        text = await readFile(this.path, "utf8");
      } catch {
        throw new EncryptionError(
          "migration.checkpointMissing",
          `--resume: there is no checkpoint at ${this.path}`,
          { table: identity.table },
        );
      }
      let stored: FileContent;
      try {
        stored = JSON.parse(text) as FileContent;
        if (stored.version !== 1 || typeof stored.identity !== "object") throw new Error("shape");
      } catch {
        throw new EncryptionError(
          "migration.checkpointMismatch",
          `--resume: ${this.path} is not a checkpoint of this tool`,
          { table: identity.table },
        );
      }
      checkIdentity(stored.identity, identity, `in ${this.path}`);
      this.content = stored;
      return;
    }
    this.content = { version: 1, identity, segments: {} };
    await this.flush();
  }

  claim(segment: number): Promise<SegmentPosition | undefined> {
    const position = this.content!.segments[segment] ?? { lastKey: undefined, done: false };
    return Promise.resolve(position.done ? undefined : position);
  }

  async save(segment: number, position: SegmentPosition): Promise<boolean> {
    this.content!.segments[segment] = position;
    await this.flush();
    return true;
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  priorNotCurrent(): Promise<boolean> {
    return Promise.resolve(
      Object.values(this.content!.segments).some((p) => p.notCurrent === true),
    );
  }

  unfinished(): Promise<number[]> {
    const { identity, segments } = this.content!;
    const out: number[] = [];
    for (let s = 0; s < identity.totalSegments; s++) if (!segments[s]?.done) out.push(s);
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    return this.writing;
  }

  /** Writes the whole checkpoint, one write at a time, in the order of the saves. */
  private flush(): Promise<void> {
    const text = JSON.stringify(this.content);
    this.writing = this.writing.then(async () => {
      const temporary = `${this.path}.${randomBytes(4).toString("hex")}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.path);
    });
    return this.writing;
  }
}
