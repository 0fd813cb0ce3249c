import { EXIT } from "./exit-codes";
import { runCli } from "./program";

/** The `dynamodb-field-encryption` binary: wires the process's streams and signals to {@link runCli}. */
const controller = new AbortController();
// A reader that stops early (`| head`) closes the pipe: stop quietly, and say by the exit code that not all was written.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") console.error(`stdout: ${error.message}`);
  process.exit(EXIT.failed);
});
// The first SIGINT or SIGTERM stops cleanly; after it both have their default action again, so a second signal of either kind stops at once.
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const onSignal = (signal: NodeJS.Signals) => {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  controller.abort(signal);
};
for (const signal of SIGNALS) process.on(signal, onSignal);

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
