import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT } from "./exit-codes";
import { runTableCommand, type TableCommandOptions } from "./table-command";
import { type CliIo, runTransformCommand, type TransformCommandOptions } from "./transform-command";
import { type KeygenOptions, runKeygenCommand } from "./keygen-command";

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

function transformCommand(
  program: Command,
  name: "export-decrypt" | "import-encrypt",
  description: string,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command(name)
    .description(description)
    .argument(
      "<input>",
      'DynamoDB JSON lines ({"Item": {…}} per line); .gz is gunzipped; - reads stdin',
    )
    .requiredOption(
      "-t, --table <name>",
      "the configured table (name or logicalName) the file holds",
    )
    .requiredOption(
      "-c, --config <file>",
      "module whose default export or named export `config` is the FieldEncryptionConfig (.ts, .js, .mjs, .json)",
    )
    .option("-o, --output <file>", "write here instead of stdout (.gz is gzipped)")
    .addOption(new Option("--gunzip", "gunzip the input (default: when its name ends in .gz)"))
    .addOption(new Option("--no-gunzip", "do not gunzip the input"))
    .addOption(new Option("--gzip", "gzip the output (default: when --output ends in .gz)"))
    .addOption(new Option("--no-gzip", "do not gzip the output"))
    .option(
      "--max-failed-lines <n>",
      "leave out and report up to n failed lines before stopping (exit 1 either way)",
      positiveInteger,
      0,
    )
    .option(
      "--batch-size <n>",
      "lines per batch (one KMS call per data key per batch)",
      positiveInteger,
      500,
    )
    .option("--json", "print the final report as one JSON line on stderr, and no progress")
    .action(async (input: string, options: TransformCommandOptions) => {
      done(await runTransformCommand(name, input, options, io));
    });
}

function atLeastOne(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

/** `k/W`: this process is worker k (from 0) of W. The range is checked by the API, which knows the segment count. */
function workerShare(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match)
    throw new InvalidArgumentError("expected k/W, such as 0/3 (worker k of W, counted from 0)");
  return { index: Number(match[1]), count: Number(match[2]) };
}

const list = (value: string) =>
  value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");

const KINDS = ["plaintext", "keys", "formats", "beacons"];

function kinds(value: string): string[] {
  const out = list(value);
  for (const kind of out)
    if (!KINDS.includes(kind))
      throw new InvalidArgumentError(`expected some of ${KINDS.join(",")}`);
  return out;
}

function tableCommand(
  program: Command,
  name: "verify" | "migrate" | "keys",
  description: string,
  io: CliIo,
  done: (code: number) => void,
): Command {
  return program
    .command(name)
    .description(description)
    .requiredOption("-t, --table <name>", "the DynamoDB table, configured by name or logicalName")
    .requiredOption(
      "-c, --config <file>",
      "module whose default export or named export `config` is the FieldEncryptionConfig (.ts, .js, .mjs, .json)",
    )
    .option("--region <region>", "AWS region (default: AWS_REGION and the SDK's resolution)")
    .option("--profile <name>", "profile of the shared AWS config and credentials files")
    .option(
      "--endpoint-url <url>",
      "DynamoDB endpoint, say DynamoDB Local (default: AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL)",
    )
    .option("--fields <paths>", "only these configured fields, comma-separated (a,b.c)", list)
    .option("--segments <n>", "parallel scan segments, run concurrently", atLeastOne, 1)
    .option(
      "--worker <k/W>",
      "take worker k's share of the segments (k from 0 to W-1) when W processes split the table",
      workerShare,
    )
    .option("--page-size <n>", "items per scan page; one checkpoint per page", atLeastOne, 100)
    .option("--max-rate <items>", "at most this many items per second", positiveNumber)
    .option(
      "--max-capacity <units>",
      "at most this many consumed capacity units per second",
      positiveNumber,
    )
    .option("--checkpoint <file>", "checkpoint file")
    .option(
      "--checkpoint-table <name>",
      "keep checkpoints and segment leases in this DynamoDB table (created if missing), shared by workers",
    )
    .option("--run-id <id>", "names the run in the checkpoint table (default <command>:<table>)")
    .option(
      "--lease-seconds <n>",
      "a worker's claim on a segment expires this long after its last heartbeat",
      positiveNumber,
    )
    .option("--resume", "continue from the checkpoint")
    .option("--json", "print the final report as JSON on stdout")
    .action(async (options: TableCommandOptions) => {
      done(await runTableCommand(name, options, io));
    });
}

/**
 * The `dynamodb-field-encryption` command line. Returns the exit code (see
 * `EXIT`); it never calls `process.exit`, so it can run inside tests.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const done = (c: number) => (code = c);
  const program = new Command()
    .name("dynamodb-field-encryption")
    .description("Client-side field encryption for DynamoDB: tools for data outside a client.")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError();
  transformCommand(
    program,
    "export-decrypt",
    "Decrypt the configured fields of a DynamoDB export in DynamoDB JSON format (data/*.json.gz), line by line",
    io,
    done,
  );
  transformCommand(
    program,
    "import-encrypt",
    "Encrypt the configured fields of DynamoDB JSON lines, for an import from S3",
    io,
    done,
  );
  program
    .command("keygen")
    .description(
      "Make a beacon key with KMS GenerateDataKey and print it, wrapped, as the config's beaconKey",
    )
    .requiredOption("-k, --key-id <kms key>", "the KMS key that wraps it (ID, ARN or alias/x)")
    .option("--region <region>", "AWS region (default: AWS_REGION and the SDK's resolution)")
    .option("--profile <name>", "profile of the shared AWS config and credentials files")
    .option(
      "--endpoint-url <url>",
      "KMS endpoint (default: AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL), for a local KMS",
    )
    .action(async (options: KeygenOptions) => {
      done(await runKeygenCommand(options, io));
    });
  tableCommand(
    program,
    "verify",
    "Scan a table, read-only, and count each configured field's values (plaintext, current, retired key, other format, undecryptable) and beacons (current, missing, stale, orphan). Exit 3 if any is not current.",
    io,
    done,
  )
    .option(
      "--sample <n>",
      "check about n items from random segments instead of the whole table",
      atLeastOne,
    )
    .option("--only <kinds>", "fail only on these: plaintext,keys,formats,beacons", kinds);
  tableCommand(
    program,
    "migrate",
    "Encrypt plaintext, re-encrypt values under retired keys or in other formats, and write missing or stale beacons (removing orphaned ones), with conditional writes; resumable",
    io,
    done,
  )
    .option("--only <kinds>", "rewrite only these: plaintext,keys,formats,beacons", kinds)
    .option("--dry-run", "report what would change; write nothing")
    .option("--concurrency <n>", "conditional writes in flight per segment", atLeastOne, 16);
  tableCommand(
    program,
    "keys",
    "List the KMS keys and local key ids that a table's values are under, with counts",
    io,
    done,
  );
  program.addHelpText(
    "after",
    "\nExit codes: 0 done (export/import: all lines written; verify: every value current);\n1 failed or incomplete (failed lines or items, a KMS or DynamoDB failure; the checkpoint is kept);\n2 bad arguments, config, table or checkpoint (nothing was done); 3 values or beacons not in their target state\n(verify), or undecryptable values left (migrate); 130 SIGINT; 143 SIGTERM (checkpoint saved).",
  );
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return code;
}
