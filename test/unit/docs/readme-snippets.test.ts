/**
 * Every `ts`/`typescript`/`js`/`javascript` block in README.md type-checks as
 * written, so README cannot drift from the code. Each block is its own file in
 * a CommonJS project with `strict` on (where top-level await is an error, as it
 * is when a user runs the snippet in such a project); `dynamodb-field-encryption`
 * and its `/testing` entry point map to `src/`. Other languages (`sh`, `json`)
 * are not code to check. A code block that must not be checked is marked by
 * `<!-- readme-snippets: skip (the reason) -->` on the line before it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..", "..");
const CHECKED = new Map([
  ["ts", "ts"],
  ["typescript", "ts"],
  ["js", "js"],
  ["javascript", "js"],
]);
const SKIP = /^<!-- readme-snippets: skip \(.+\) -->$/;

interface Snippet {
  line: number;
  extension: string;
  code: string;
}

/** The fenced code blocks to check, with the README line each starts on. */
function snippets(markdown: string): { checked: Snippet[]; skipped: number[] } {
  const lines = markdown.split("\n");
  const checked: Snippet[] = [];
  const skipped: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const extension = CHECKED.get(open[1]!);
    if (extension && SKIP.test(lines[i - 1] ?? "")) skipped.push(i + 1);
    else if (extension)
      checked.push({ line: i + 1, extension, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return { checked, skipped };
}

/** Type-checks files in a scratch project; returns tsc's diagnostics ("" when none). */
function typeCheck(files: Record<string, string>): string {
  mkdirSync(join(root, ".cache"), { recursive: true });
  // Inside the repo so that the snippets' imports of the AWS SDK resolve from its node_modules.
  const dir = mkdtempSync(join(root, ".cache", "readme-snippets-"));
  try {
    for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "commonjs",
          moduleResolution: "node10",
          moduleDetection: "force",
          target: "ES2022",
          lib: ["ES2022", "ES2024.String"],
          strict: true,
          allowJs: true,
          checkJs: true,
          noEmit: true,
          skipLibCheck: true,
          esModuleInterop: true,
          types: ["node"],
          paths: {
            "dynamodb-field-encryption": [join(root, "src", "index.ts")],
            "dynamodb-field-encryption/testing": [join(root, "src", "testing", "index.ts")],
          },
        },
        files: Object.keys(files),
      }),
    );
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
      return "";
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("README.md code blocks", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const { checked, skipped } = snippets(readme);

  it("are found: the one-minute example, EncryptionError.is and the test server", () => {
    const all = checked.map((s) => s.code).join("\n");
    expect(all).toContain("fieldEncryption({");
    expect(all).toContain("EncryptionError.is(error");
    expect(all).toContain("KmsTestServer.start()");
    expect(skipped).toEqual([]);
  });

  it("type-check as written, in a CommonJS project where top-level await is an error", () => {
    const files: Record<string, string> = {
      // Proves the project refuses top-level await: if it were allowed, the
      // directive would be unused, which is itself an error.
      "control.ts": "// @ts-expect-error: top-level await in CommonJS\nawait Promise.resolve();\n",
    };
    for (const s of checked) files[`readme-line-${s.line}.${s.extension}`] = s.code;
    // tsc names the file, and so the README line, of each error.
    expect(typeCheck(files)).toBe("");
  }, 120_000);
});
