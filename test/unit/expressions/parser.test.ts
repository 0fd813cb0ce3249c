import {
  parseConditionExpression,
  parseProjectionExpression,
  parseUpdateExpression,
} from "../../../src/expressions/parser";
import { relate, resolvePath } from "../../../src/expressions/field-relation";
import { resolveConfig } from "../../../src/config/resolve-config";
import { LocalKeyProvider } from "../../../src";

const path = (...steps: (string | number)[]) => ({
  kind: "path",
  steps: steps.map((s) =>
    typeof s === "number"
      ? { kind: "index", index: s }
      : s.startsWith("#")
        ? { kind: "placeholder", text: s }
        : { kind: "name", text: s },
  ),
});

describe("UpdateExpression grammar", () => {
  it("parses every clause, in any order and any case, with commas and whitespace", () => {
    const text = "set a = :a,  #b.c[2] = :b remove d, e[0] ADD f :f DELETE g :g";
    const { actions } = parseUpdateExpression(text);
    const value = (name: string) => ({
      kind: "value",
      name,
      start: text.indexOf(name),
      end: text.indexOf(name) + name.length,
    });
    expect(actions).toEqual([
      { kind: "SET", path: path("a"), value: value(":a") },
      { kind: "SET", path: path("#b", "c", 2), value: value(":b") },
      { kind: "REMOVE", path: path("d") },
      { kind: "REMOVE", path: path("e", 0) },
      { kind: "ADD", path: path("f"), value: value(":f") },
      { kind: "DELETE", path: path("g"), value: value(":g") },
    ]);
  });

  it("parses functions and arithmetic", () => {
    const [a, b, c] = parseUpdateExpression(
      "SET a = if_not_exists(a, :z), b = list_append(b, :l), c = c + :one",
    ).actions;
    expect(a).toMatchObject({
      value: {
        kind: "call",
        name: "if_not_exists",
        args: [path("a"), { kind: "value", name: ":z" }],
      },
    });
    expect(b).toMatchObject({
      value: {
        kind: "call",
        name: "list_append",
        args: [path("b"), { kind: "value", name: ":l" }],
      },
    });
    expect(c).toMatchObject({
      value: {
        kind: "arithmetic",
        operator: "+",
        left: path("c"),
        right: { kind: "value", name: ":one" },
      },
    });
  });

  it("parses nested indexes and placeholders for reserved words", () => {
    expect(parseUpdateExpression("SET #name.#size[1][2].#set = :v").actions[0]).toMatchObject({
      path: path("#name", "#size", 1, 2, "#set"),
    });
  });

  it.each([
    "",
    "SET",
    "SET a",
    "SET a = ",
    "SET a = :v SET b = :w",
    "SET a == :v",
    "SET a = :v,",
    "UPSERT a = :v",
    "SET and = :v",
    "SET a[x] = :v",
    "SET a = :v $",
    "SET a = f(:v",
  ])("refuses %j", (text) => {
    expect(() => parseUpdateExpression(text)).toThrow(
      expect.objectContaining({ code: "expression.unsupportedOnEncrypted" }),
    );
  });
});

describe("condition grammar", () => {
  it("gives NOT over AND over OR", () => {
    expect(parseConditionExpression("a = :a OR NOT b = :b AND c <> :c")).toMatchObject({
      kind: "or",
      left: { kind: "compare", operator: "=" },
      right: {
        kind: "and",
        left: { kind: "not", operand: { kind: "compare" } },
        right: { kind: "compare", operator: "<>" },
      },
    });
  });

  it("parses parentheses, BETWEEN, IN, functions and size", () => {
    expect(parseConditionExpression("(a BETWEEN :lo AND :hi) and b in (:x, :y, c)")).toMatchObject({
      kind: "and",
      left: { kind: "between", subject: path("a") },
      right: {
        kind: "in",
        subject: path("b"),
        list: [{ kind: "value" }, { kind: "value" }, path("c")],
      },
    });
    expect(parseConditionExpression("attribute_exists(#p) AND size(l[0]) >= :n")).toMatchObject({
      kind: "and",
      left: { kind: "function", call: { name: "attribute_exists", args: [path("#p")] } },
      right: {
        kind: "compare",
        operator: ">=",
        left: { kind: "call", name: "size", args: [path("l", 0)] },
      },
    });
  });

  it.each(["a", "a =", "a = :v AND", "(a = :v", "a BETWEEN :x", "a IN :x", "NOT", "a = :v b = :w"])(
    "refuses %j",
    (text) => {
      expect(() => parseConditionExpression(text)).toThrow(
        expect.objectContaining({ code: "expression.unsupportedOnEncrypted" }),
      );
    },
  );
});

describe("projections, path resolution and relations to fields", () => {
  const fields = resolveConfig({
    keyId: "k",
    keyProvider: new LocalKeyProvider({ keys: { k: new Uint8Array(32) } }),
    tables: {
      Things: { partitionKey: "pk", fields: { ssn: {}, "card.number": {}, "addresses[].zip": {} } },
    },
  }).tables.get("Things")!.fields;

  it("parses a projection list", () => {
    expect(parseProjectionExpression("a, #b.c, d[3]")).toEqual([
      path("a"),
      path("#b", "c"),
      path("d", 3),
    ]);
  });

  it("resolves #names and refuses undefined ones", () => {
    expect(resolvePath(path("#a", 1, "b") as never, { "#a": "x.y" })).toEqual(["x.y", 1, "b"]);
    expect(() => resolvePath(path("#missing") as never, {})).toThrow(
      expect.objectContaining({ code: "expression.unsupportedOnEncrypted" }),
    );
  });

  it.each([
    [["ssn"], "exact"],
    [["card", "number"], "exact"],
    [["addresses", 4, "zip"], "exact"],
    [["card"], "ancestor"],
    [["addresses"], "ancestor"],
    [["addresses", 0], "ancestor"],
    [["ssn", "x"], "inside"],
    [["card", "number", 0], "inside"],
    [["card", "expiry"], "none"],
    [["addresses", 1, "city"], "none"],
    [["addresses", "zip"], "none"],
    [["other"], "none"],
  ])("%j is %s", (p, kind) => {
    expect(relate(p, fields).kind).toBe(kind);
  });
});
