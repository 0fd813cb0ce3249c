import { Transform, type TransformCallback } from "node:stream";
import type { ResolvedTable } from "../config/resolved-config";
import type { ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import type { WireItem } from "../format/wire";
import { type Settled } from "../items/settle";
import { formatExportLine, keyOf, parseExportLine } from "./export-line";
import { printableKey } from "../copy-guard/key-copies";

/** A line that could not be transformed: where it is and why, never its content. */
export interface LineFailure {
  /** 1-based line number in the (decompressed) input. */
  line: number;
  /** The item's key attributes in DynamoDB JSON, when the line could be read. */
  key: WireItem | undefined;
  /** The error; an `EncryptionError` whose message names the line. */
  error: EncryptionError | Error;
}

/** Counts so far, readable at any time (say, for progress). */
export interface LineTransformStats {
  /** Lines read, blank ones included. */
  lines: number;
  /** Items written to the output. */
  items: number;
  /** Lines left out of the output because they failed. */
  failed: number;
  /** Bytes of input read. */
  bytesIn: number;
}

/** Options of the export and import streams. */
export interface LineTransformOptions {
  /** The configured table (by table name or `logicalName`) the file holds items of. */
  table: string;
  /**
   * Lines per engine batch: one KMS call per data key per batch, and the
   * bound on items held in memory at once. Default 500.
   */
  batchSize?: number;
  /**
   * How many failed lines to leave out (each reported to `onLineError`)
   * before the stream fails. Default 0: the first failed line fails the
   * stream. The output is short by exactly the lines reported.
   */
  maxFailedLines?: number;
  /** Called for each failed line: line number, item key and error, never the value. */
  onLineError?: (failure: LineFailure) => void;
  /** Longest line accepted, in bytes, so memory stays bounded. Default 4 MiB (an item is at most 400 KB). */
  maxLineBytes?: number;
}

/** A transform of export lines; `stats` says how far it got. */
export interface ItemLineTransform extends Transform {
  readonly stats: Readonly<LineTransformStats>;
}

type Run = (groups: readonly (readonly ItemJob[])[]) => Promise<Settled[]>;

function located(error: unknown, line: number, key: WireItem | undefined): EncryptionError | Error {
  const where = `Line ${line}${key ? ` (key ${JSON.stringify(key)})` : ""}`;
  if (error instanceof EncryptionError) {
    if (error.code === "export.lineInvalid") return error;
    return new EncryptionError(error.code, `${where}: ${error.message}`, {
      table: error.table,
      field: error.field,
      attribute: error.attribute,
      cause: error.cause ?? error,
    });
  }
  return error instanceof Error ? error : new Error(`${where}: ${String(error)}`);
}

/**
 * Line-by-line transform of DynamoDB JSON export lines through the engine,
 * in batches. Memory is bounded by one input chunk, one batch and the
 * streams' buffers: the next chunk is not taken before the batch is written.
 */
export function itemLineTransform(
  table: ResolvedTable,
  run: Run,
  options: LineTransformOptions,
): ItemLineTransform {
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const maxFailed = options.maxFailedLines ?? 0;
  const maxLineBytes = options.maxLineBytes ?? 4 * 2 ** 20;
  const stats: LineTransformStats = { lines: 0, items: 0, failed: 0, bytesIn: 0 };
  let rest = "";
  const decoder = new TextDecoder("utf-8", { fatal: true });

  const fail = (failure: LineFailure) => {
    stats.failed++;
    try {
      options.onLineError?.(failure);
    } catch {
      // A reporting hook must not change the output.
    }
    if (stats.failed > maxFailed) throw failure.error;
  };

  const processLines = async (stream: Transform, lines: string[]) => {
    for (let start = 0; start < lines.length; start += batchSize) {
      const batch: { line: number; item: WireItem }[] = [];
      for (const text of lines.slice(start, start + batchSize)) {
        const line = ++stats.lines;
        if (text.trim() === "") continue;
        try {
          batch.push({ line, item: parseExportLine(text, line, table) });
        } catch (error) {
          fail({ line, key: undefined, error: located(error, line, undefined) });
        }
      }
      if (batch.length === 0) continue;
      const settled = await run(batch.map((b) => [{ table, item: b.item }]));
      let out = "";
      settled.forEach((result, i) => {
        const { line, item } = batch[i]!;
        if (result.ok) {
          out += formatExportLine(item);
          stats.items++;
        } else {
          // A copy of a secret may sit in the key itself, whatever the failure: such a key attribute is not printed.
          const plain = keyOf(table, item);
          const key = plain && printableKey(table, item, plain);
          fail({ line, key, error: located(result.error, line, key) });
        }
      });
      if (out !== "") stream.push(out);
    }
  };

  const take = (chunk: Buffer, last: boolean): string[] => {
    stats.bytesIn += chunk.length;
    const text = rest + decoder.decode(chunk, { stream: !last });
    const lines = text.split("\n");
    rest = last ? "" : lines.pop()!;
    if (last && lines[lines.length - 1] === "") lines.pop();
    if (Buffer.byteLength(rest) > maxLineBytes) {
      throw new EncryptionError(
        "export.lineInvalid",
        `Line ${stats.lines + lines.length + 1} is longer than ${maxLineBytes} bytes`,
        { table: table.name },
      );
    }
    return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  };

  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let lines: string[];
      try {
        lines = take(chunk, false);
      } catch (error) {
        callback(textError(error, stats.lines + 1, table));
        return;
      }
      processLines(this, lines).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
    flush(callback: TransformCallback) {
      let lines: string[];
      try {
        lines = take(Buffer.alloc(0), true);
      } catch (error) {
        callback(textError(error, stats.lines + 1, table));
        return;
      }
      processLines(this, lines).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
  });
  return Object.assign(transform, { stats });
}

function textError(error: unknown, line: number, table: ResolvedTable): Error {
  if (error instanceof EncryptionError) return error;
  return new EncryptionError("export.lineInvalid", `Line ${line} is not valid UTF-8`, {
    table: table.name,
    cause: error,
  });
}
