/**
 * The tiers run under the Node.js version they are meant to: `npm test` under
 * the machine's Node, then `npm run test:node-versions` under each pinned
 * release, which names it in DFE_TEST_NODE_VERSION (scripts/node-versions/test.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const engines = (
  JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
    engines: { node: string };
  }
).engines.node;

/** The majors `engines` admits: `^20.0.0 || ^22.0.0 || >=24.0.0` → exact 20 and 22, and 24 or later. */
const admitted = (major: number): boolean =>
  engines.split("||").some((range) => {
    const [, op, at] = /^\s*(\^|>=)(\d+)\.0\.0\s*$/.exec(range) ?? [];
    if (op === undefined) throw new Error(`unexpected range in engines: ${range}`);
    return op === "^" ? major === Number(at) : major >= Number(at);
  });

describe("the Node.js running the tests", () => {
  it("is a version that package.json's engines admits", () => {
    expect(admitted(Number(process.versions.node.split(".")[0]))).toBe(true);
    expect([19, 21, 23].filter(admitted)).toEqual([]);
  });

  const pinned = process.env.DFE_TEST_NODE_VERSION;
  if (pinned)
    it(`is the pinned release the runner asked for (${pinned})`, () => {
      expect(process.version).toBe(`v${pinned}`);
    });
});
