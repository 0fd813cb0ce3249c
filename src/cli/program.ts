import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT } from "./exit-codes";
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
    .option("--region <region>", "KMS region (default: the SDK's usual resolution)")
    .option("--endpoint <url>", "KMS endpoint, for a local KMS")
    .action(async (options: KeygenOptions) => {
      done(await runKeygenCommand(options, io));
    });
  program.addHelpText(
    "after",
    "\nExit codes: 0 all lines written; 1 output incomplete (failed lines, bad or truncated input);\n2 bad arguments or config; 130 SIGINT; 143 SIGTERM.",
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
