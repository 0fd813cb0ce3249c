import { type FileHandle, open, unlink } from "node:fs/promises";
import { PassThrough, type Readable, type Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { EncryptionError } from "../errors/encryption-error";
import { decryptExportStream, encryptImportStream } from "../exports/export-streams";
import type { ItemLineTransform, LineFailure } from "../exports/item-line-transform";
import { EXIT } from "./exit-codes";
import { loadConfig } from "./load-config";
import { openOutputFile } from "./output-file";
import { createProgress } from "./progress";

/** Where the CLI reads and writes; `process`'s streams in production, others in tests. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Aborted on SIGINT (reason "SIGINT") or SIGTERM (reason "SIGTERM"). */
  signal?: AbortSignal;
}

/** Options shared by `export-decrypt` and `import-encrypt`. */
export interface TransformCommandOptions {
  table: string;
  config: string;
  output?: string;
  gunzip?: boolean;
  gzip?: boolean;
  maxFailedLines: number;
  batchSize: number;
  json?: boolean;
}

/** The report printed at the end: counts and failed lines (number and key), never values. */
interface Report {
  command: string;
  table: string;
  status: "ok" | "failed" | "interrupted";
  lines: number;
  items: number;
  failed: number;
  failures: { line: number; key: unknown; code: string | undefined; message: string }[];
  error?: { code: string | undefined; message: string };
}

/** Failures listed in the report; the count covers all of them. */
const MAX_LISTED_FAILURES = 1000;

const codeOf = (error: unknown) => (error instanceof EncryptionError ? error.code : undefined);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function counter(onBytes: (n: number) => void): Transform {
  return new PassThrough({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/**
 * Writes to `target` with its backpressure, without handing `target` to the
 * pipeline: a failed pipeline destroys its stages, and stdout must survive
 * to carry what was written before the failure.
 */
function forwardTo(target: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (target.write(chunk)) callback();
      else target.once("drain", () => callback());
    },
  });
}

/**
 * Opens the input (a path, or stdin as given) and then the `-o` file. The
 * input first: a run whose input cannot be read then leaves no output file
 * behind, which, being always new, would block the corrected run.
 */
async function openEnds(
  input: string | Readable,
  outputPath: string | undefined,
): Promise<
  | { source: Readable; output: FileHandle | undefined; totalBytes: number | undefined }
  | { failed: { exit: number; message: string } }
> {
  let source: Readable = typeof input === "string" ? new PassThrough() : input;
  let inputHandle: FileHandle | undefined;
  let totalBytes: number | undefined;
  if (typeof input === "string")
    try {
      inputHandle = await open(input, "r");
      totalBytes = (await inputHandle.stat()).size;
      source = inputHandle.createReadStream();
    } catch (error) {
      await inputHandle?.close();
      return { failed: { exit: EXIT.failed, message: messageOf(error) } };
    }
  if (outputPath === undefined) return { source, output: undefined, totalBytes };
  try {
    return { source, output: await openOutputFile(outputPath), totalBytes };
  } catch (error) {
    if (inputHandle) source.destroy(); // closes the handle; stdin is the caller's
    const exists = (error as { code?: string }).code === "EEXIST";
    return {
      failed: {
        exit: EXIT.usage,
        message: exists
          ? `${outputPath} exists: the output is always a new file, readable by its owner only; remove it or name another`
          : messageOf(error),
      },
    };
  }
}

/**
 * Runs `export-decrypt` or `import-encrypt`: input file (or `-` for stdin),
 * gunzip, the line transform, gzip, output file or stdout. Returns the exit
 * code; a failed run never ends with exit 0, so a short output is never
 * mistaken for a whole one.
 */
export async function runTransformCommand(
  command: "export-decrypt" | "import-encrypt",
  input: string,
  options: TransformCommandOptions,
  io: CliIo,
): Promise<number> {
  const report: Report = {
    command,
    table: options.table,
    status: "ok",
    lines: 0,
    items: 0,
    failed: 0,
    failures: [],
  };
  const print = (code: number) => {
    if (options.json) io.stderr.write(`${JSON.stringify(report)}\n`);
    else {
      for (const f of report.failures)
        io.stderr.write(
          `line ${f.line}${f.key ? ` key ${JSON.stringify(f.key)}` : ""}: ${f.message}\n`,
        );
      if (report.failed > report.failures.length)
        io.stderr.write(`… and ${report.failed - report.failures.length} more failed lines\n`);
      if (report.error) io.stderr.write(`error: ${report.error.message}\n`);
      io.stderr.write(
        `${command}: ${report.status}; ${report.lines} lines read, ${report.items} items written, ${report.failed} failed\n`,
      );
    }
    return code;
  };

  let transform: ItemLineTransform;
  try {
    const config = await loadConfig(options.config);
    const make = command === "export-decrypt" ? decryptExportStream : encryptImportStream;
    transform = make(config, {
      table: options.table,
      batchSize: options.batchSize,
      maxFailedLines: options.maxFailedLines,
      onLineError: (failure: LineFailure) => {
        if (report.failures.length < MAX_LISTED_FAILURES)
          report.failures.push({
            line: failure.line,
            key: failure.key,
            code: codeOf(failure.error),
            message: failure.error.message,
          });
      },
    });
  } catch (error) {
    report.status = "failed";
    report.error = { code: codeOf(error), message: messageOf(error) };
    return print(EXIT.usage);
  }

  const fromStdin = input === "-";
  const ends = await openEnds(fromStdin ? io.stdin : input, options.output);
  if ("failed" in ends) {
    report.status = "failed";
    report.error = { code: undefined, message: ends.failed.message };
    return print(ends.failed.exit);
  }
  const { source, output, totalBytes } = ends;
  const gunzip = options.gunzip ?? (!fromStdin && input.endsWith(".gz"));
  const gzip = options.gzip ?? options.output?.endsWith(".gz") ?? false;
  let bytesRead = 0;
  const progress = createProgress(io.stderr, { totalBytes, quiet: options.json === true });
  const timer = setInterval(() => progress.update(transform.stats, bytesRead), 250);
  timer.unref();

  const stages: (Readable | Writable | Transform)[] = [source, counter((n) => (bytesRead += n))];
  if (gunzip) stages.push(createGunzip());
  stages.push(transform);
  if (gzip) stages.push(createGzip());
  stages.push(output ? output.createWriteStream() : forwardTo(io.stdout));

  let code: number = EXIT.ok;
  try {
    await (pipeline as (...args: unknown[]) => Promise<void>)(
      ...stages,
      io.signal ? { signal: io.signal, end: true } : { end: true },
    );
  } catch (error) {
    const reason: unknown = io.signal?.aborted ? io.signal.reason : undefined;
    if (reason === "SIGINT" || reason === "SIGTERM") {
      report.status = "interrupted";
      report.error = { code: undefined, message: `stopped by ${reason}; the output is incomplete` };
      code = reason === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
    } else {
      report.status = "failed";
      const zlib = (error as { code?: string }).code?.startsWith("Z_") ?? false;
      report.error = {
        code: codeOf(error) ?? (zlib ? "export.incomplete" : undefined),
        message: zlib
          ? `the gzip input is truncated or corrupt after line ${transform.stats.lines} (${messageOf(error)}); the output is incomplete`
          : messageOf(error),
      };
      code = EXIT.failed;
    }
  } finally {
    clearInterval(timer);
    progress.update(transform.stats, bytesRead);
    progress.stop();
  }
  report.lines = transform.stats.lines;
  report.items = transform.stats.items;
  report.failed = transform.stats.failed;
  if (code === EXIT.ok && report.failed > 0) {
    report.status = "failed";
    code = EXIT.failed;
  }
  // A failed run that wrote no item removes the -o file it created (O_EXCL: it is this run's own), which would otherwise block the retry.
  if (code !== EXIT.ok && output && report.items === 0 && options.output !== undefined)
    await unlink(options.output).catch(() => undefined);
  return print(code);
}
