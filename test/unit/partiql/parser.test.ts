import {
  MAX_STATEMENT_DEPTH,
  MAX_STATEMENT_LENGTH,
  parseStatement as parse,
} from "../../../src/partiql/parser";

const parseStatement = (text: string) => parse(text).statement;

describe("PartiQL grammar", () => {
  it("SELECT with a list, a quoted table and index, and a WHERE clause", () => {
    expect(
      parseStatement(
        `SELECT pk, "card".number, addresses[0] FROM "Users"."by-name" WHERE pk = ? AND begins_with(sk, 'a')`,
      ),
    ).toEqual({
      kind: "select",
      from: { table: "Users", index: "by-name" },
      projection: [
        { kind: "path", steps: ["pk"] },
        { kind: "path", steps: ["card", "number"] },
        { kind: "path", steps: ["addresses", 0] },
      ],
      where: {
        kind: "and",
        left: {
          kind: "compare",
          operator: "=",
          left: { kind: "path", steps: ["pk"] },
          right: { kind: "param", index: 0 },
        },
        right: {
          kind: "function",
          call: {
            kind: "call",
            name: "begins_with",
            args: [
              { kind: "path", steps: ["sk"] },
              { kind: "literal", type: "string", text: "a" },
            ],
          },
        },
      },
    });
  });

  it("INSERT with a nested tuple, lists, bags, parameters and literals", () => {
    const s = parseStatement(
      `insert into Users value {'pk': ?, 'n': -1.5e3, 'ok': TRUE, 'card': {'number': ?}, 'tags': <<'a', 'b'>>, 'l': [?, NULL], 'it''s': 'x'}`,
    );
    expect(s).toMatchObject({
      kind: "insert",
      into: { table: "Users" },
      value: {
        kind: "tuple",
        entries: [
          { key: "pk", value: { kind: "param", index: 0 } },
          { key: "n", value: { kind: "literal", type: "number", text: "-1.5e3" } },
          { key: "ok", value: { kind: "literal", type: "boolean" } },
          {
            key: "card",
            value: {
              kind: "tuple",
              entries: [{ key: "number", value: { kind: "param", index: 1 } }],
            },
          },
          { key: "tags", value: { kind: "bag" } },
          {
            key: "l",
            value: {
              kind: "list",
              items: [
                { kind: "param", index: 2 },
                { kind: "literal", type: "null" },
              ],
            },
          },
          { key: "it's", value: { kind: "literal", text: "x" } },
        ],
      },
    });
  });

  it("UPDATE with SET, REMOVE, functions, arithmetic and RETURNING", () => {
    expect(
      parseStatement(
        `UPDATE "Users" SET ssn = ?, n = n + 1 SET l = list_append(l, [?]) REMOVE a.b WHERE pk = 'u' AND sk = ? RETURNING ALL NEW *`,
      ),
    ).toMatchObject({
      kind: "update",
      actions: [
        { kind: "set", path: { steps: ["ssn"] }, value: { kind: "param", index: 0 } },
        { kind: "set", path: { steps: ["n"] }, value: { kind: "binary", operator: "+" } },
        {
          kind: "set",
          path: { steps: ["l"] },
          value: {
            kind: "call",
            name: "list_append",
            args: [{ kind: "path" }, { kind: "list", items: [{ kind: "param", index: 1 }] }],
          },
        },
        { kind: "remove", path: { steps: ["a", "b"] } },
      ],
      where: { kind: "and" },
      returning: "ALL NEW",
    });
  });

  it("DELETE, and conditions with OR, NOT, BETWEEN, IN and IS MISSING", () => {
    expect(
      parseStatement(
        `DELETE FROM Users WHERE pk = ? AND (a BETWEEN 1 AND 2 OR NOT b IN [1, 2]) AND c IS NOT MISSING`,
      ),
    ).toMatchObject({
      kind: "delete",
      where: {
        kind: "and",
        left: {
          kind: "and",
          right: {
            kind: "or",
            left: { kind: "between" },
            right: { kind: "not", operand: { kind: "in" } },
          },
        },
        right: { kind: "is", negated: true, what: "MISSING" },
      },
    });
  });

  it.each([
    "",
    "SELECT FROM Users",
    "SELECT * Users",
    "INSERT INTO Users VALUES {'a': 1}",
    "UPDATE Users WHERE pk = 1",
    "DELETE Users",
    "SELECT * FROM Users WHERE",
    "SELECT * FROM Users WHERE a =",
    "SELECT * FROM Users $",
    "EXISTS(SELECT * FROM Users)",
  ])("refuses %j with operation.unsupported", (text) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({ code: "operation.unsupported" }));
  });

  it("counts the ? placeholders, not a ? inside a string or a quoted name", () => {
    expect(
      parse(`UPDATE "T?" SET a = ?, b = '?' SET c = [?, <<?>>] WHERE pk = ? AND "?" = 'x?'`)
        .placeholders,
    ).toBe(4);
    expect(parse(`SELECT * FROM T`).placeholders).toBe(0);
  });
});

describe("PartiQL limits", () => {
  const tooComplex = expect.objectContaining({ code: "expression.tooComplex" });
  const nest = (depth: number, open: string, close: string, inner: string) =>
    open.repeat(depth) + inner + close.repeat(depth);

  it.each([
    ["parentheses", (d: number) => `SELECT * FROM T WHERE ${nest(d, "(", ")", "a = 1")}`],
    ["NOT", (d: number) => `SELECT * FROM T WHERE ${"NOT ".repeat(d)}a = 1`],
    ["lists", (d: number) => `INSERT INTO T VALUE {'pk': ${nest(d, "[", "]", "1")}}`],
    ["tuples", (d: number) => `INSERT INTO T VALUE ${nest(d, "{'a': ", "}", "1")}`],
    ["bags", (d: number) => `INSERT INTO T VALUE {'pk': ${nest(d, "<<", ">>", "1")}}`],
    ["function calls", (d: number) => `UPDATE T SET a = ${nest(d, "f(", ")", "1")}`],
    ["arithmetic", (d: number) => `UPDATE T SET a = 1${" + 1".repeat(d)}`],
  ])(
    "%s: 10,000 deep and just over the limit are expression.tooComplex (not RangeError); just under it they parse",
    (_, build) => {
      expect(() => parse(build(10_000))).toThrow(tooComplex);
      expect(() => parse(build(MAX_STATEMENT_DEPTH + 1))).toThrow(tooComplex);
      expect(() => parse(build(MAX_STATEMENT_DEPTH - 1))).not.toThrow();
    },
  );

  it("a statement longer than the limit is expression.tooComplex; one at the limit parses", () => {
    const at = (n: number) => {
      const head = `SELECT * FROM T WHERE a = '`;
      return `${head}${"x".repeat(n - head.length - 1)}'`;
    };
    expect(at(MAX_STATEMENT_LENGTH)).toHaveLength(MAX_STATEMENT_LENGTH);
    expect(() => parse(at(MAX_STATEMENT_LENGTH))).not.toThrow();
    expect(() => parse(at(MAX_STATEMENT_LENGTH + 1))).toThrow(tooComplex);
  });
});
