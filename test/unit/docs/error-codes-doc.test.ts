import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "../../../src";

const table = readFileSync(join(__dirname, "..", "..", "..", "docs", "errors.md"), "utf8");
const documented = [...table.matchAll(/^\| `([a-zA-Z]+\.[a-zA-Z]+)`/gm)].map((m) => m[1]);

describe("docs/errors.md", () => {
  it("has one row for every code in ERROR_CODES and none for codes that do not exist", () => {
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
  });
});
