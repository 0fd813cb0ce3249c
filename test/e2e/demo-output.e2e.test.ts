/**
 * `npm run demo` as a person sees it: bold headings on a colour terminal and
 * plain text otherwise (a pipe, a file, or NO_COLOR), and KMS call counts that
 * it explains. The terminal cases run it under util-linux `script`, which gives
 * it a pseudo-terminal. It reuses the tier's DynamoDB Local (DYNAMODB_ENDPOINT).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");
const demo = `${join(root, "node_modules", ".bin", "tsx")} ${join(root, "examples", "demo.ts")}`;
const ESC = "\x1b[";
const BOLD = "\x1b[1m";

async function piped(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run("sh", ["-c", demo], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return stdout;
}

/**
 * Variables that make Node report no colours whatever the terminal is. CI systems set `CI`,
 * and Node then answers `hasColors()` with false (tty.getColorDepth), so the terminal cases
 * clear them all and set only what each case is about.
 */
const COLOUR_SETTINGS = [
  "FORCE_COLOR",
  "NO_COLOR",
  "NODE_DISABLE_COLORS",
  "CI",
  "TEAMCITY_VERSION",
];

/** Runs the demo on a pseudo-terminal; returns what the terminal showed. */
async function onTerminal(env: NodeJS.ProcessEnv): Promise<string> {
  const base = { ...process.env };
  for (const name of COLOUR_SETTINGS) delete base[name];
  const { stdout } = await run("script", ["-q", "-e", "-c", demo, "/dev/null"], {
    cwd: root,
    env: { ...base, ...env },
    timeout: 120_000,
  });
  return stdout;
}

const onLinux = process.platform === "linux" ? it : it.skip;

describe("the demo's output", () => {
  it("has no ANSI codes when stdout is a pipe, and explains its KMS call counts", async () => {
    const out = await piped({ FORCE_COLOR: undefined, NO_COLOR: undefined });
    expect(out).toContain("1. What DynamoDB stores");
    expect(out).not.toContain(ESC);
    expect(out).toContain("GenerateDataKey: 6, Decrypt: 6\nWhy not README's 1 and 1?");
    expect(out).toContain("3 pairs x 2 clients that wrote (ReadWrite app, WriteOnly ingest) = 6");
    expect(out).toContain(
      "3 wrapped data keys x 2 clients that decrypted (ReadWrite app, ReadOnly reporting) = 6",
    );
    // The counts grow with clients and (key, context) pairs, not with items.
    expect(out).toContain(
      "after the app writes and reads 10 more such items: GenerateDataKey: 6, Decrypt: 6",
    );
  });

  onLinux("has bold headings on a colour terminal", async () => {
    const out = await onTerminal({ TERM: "xterm-256color" });
    expect(out).toContain(`${BOLD}1. What DynamoDB stores`);
  });

  onLinux("has no ANSI codes on a colour terminal when NO_COLOR is set", async () => {
    const out = await onTerminal({ TERM: "xterm-256color", NO_COLOR: "1" });
    expect(out).toContain("1. What DynamoDB stores");
    expect(out).not.toContain(ESC);
  });
});
