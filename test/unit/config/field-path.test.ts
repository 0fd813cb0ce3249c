import { isPathPrefix, parseFieldPath } from "../../../src/config/field-path";

describe("parseFieldPath", () => {
  it.each([
    ["ssn", [{ kind: "attr", name: "ssn" }]],
    [
      "card.number",
      [
        { kind: "attr", name: "card" },
        { kind: "attr", name: "number" },
      ],
    ],
    [
      "addresses[].zip",
      [{ kind: "attr", name: "addresses" }, { kind: "each" }, { kind: "attr", name: "zip" }],
    ],
    ["matrix[][]", [{ kind: "attr", name: "matrix" }, { kind: "each" }, { kind: "each" }]],
    [
      "a\\.b.c",
      [
        { kind: "attr", name: "a.b" },
        { kind: "attr", name: "c" },
      ],
    ],
    ["x\\[0\\]", [{ kind: "attr", name: "x[0]" }]],
    ["back\\\\slash", [{ kind: "attr", name: "back\\slash" }]],
    [
      "名前.ñ",
      [
        { kind: "attr", name: "名前" },
        { kind: "attr", name: "ñ" },
      ],
    ],
  ])("parses %s", (path, segments) => {
    expect(parseFieldPath(path, "f")).toEqual(segments);
  });

  it.each(["", ".a", "a.", "a..b", "a[0]", "a[", "a]", "[]", "a[]b", "a\\x", "a\\"])(
    "rejects %j",
    (path) => {
      expect(() => parseFieldPath(path, "f")).toThrow(/f: invalid field path/);
    },
  );

  it("isPathPrefix compares segment by segment", () => {
    const p = (s: string) => parseFieldPath(s, "f");
    expect(isPathPrefix(p("a"), p("a.b"))).toBe(true);
    expect(isPathPrefix(p("a[]"), p("a[].b"))).toBe(true);
    expect(isPathPrefix(p("a.b"), p("a"))).toBe(false);
    expect(isPathPrefix(p("a.b"), p("a.c"))).toBe(false);
    expect(isPathPrefix(p("a\\.b"), p("a.b"))).toBe(false);
  });
});
