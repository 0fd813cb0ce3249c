import fc from "fast-check";
import type { Condition, Statement } from "../../../src/partiql/ast";
import { parseStatement, spanOf } from "../../../src/partiql/parser";
import { applyStatementEdits, quoteName, quoteString } from "../../../src/partiql/statement-text";

const text = (t: string, node: object) => {
  const span = spanOf(node)!;
  return t.slice(span.start, span.end);
};

describe("PartiQL source spans", () => {
  it("cover exactly a path, a ? parameter, a tuple and an UPDATE action", () => {
    const select = `SELECT * FROM "Users" WHERE "profile" . phone=? AND email IN [ ?, ? ]`;
    const s = parseStatement(select).statement as Extract<Statement, { kind: "select" }>;
    const and = s.where as Extract<Condition, { kind: "and" | "or" }>;
    const cmp = and.left as Extract<Condition, { kind: "compare" }>;
    expect(text(select, cmp.left)).toBe(`"profile" . phone`);
    expect(text(select, cmp.right)).toBe("?");
    const insert = `INSERT INTO Users VALUE {'pk': ?, 'm': {'a': ?}}`;
    const i = parseStatement(insert).statement as Extract<Statement, { kind: "insert" }>;
    expect(text(insert, i.value)).toBe(`{'pk': ?, 'm': {'a': ?}}`);
    const update = `UPDATE Users SET a = ? SET b=list_append(b, ?) REMOVE c WHERE pk = ?`;
    const u = parseStatement(update).statement as Extract<Statement, { kind: "update" }>;
    expect(u.actions.map((a) => text(update, a))).toEqual(["a = ?", "b=list_append(b, ?)", "c"]);
  });
});

/** Names and strings rich in what quoting must handle: both quotes, backslashes, PartiQL's own characters. */
const tricky = (minLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom('"', "'", "\\", "?", " ", "-", "/", "*", ".", "a"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    ),
    minLength,
    maxLength: 12,
  });

describe("applyStatementEdits", () => {
  const base = `SELECT * FROM Users WHERE email = ? AND pk = ?`;
  const email = { start: base.indexOf("email"), end: base.indexOf("email") + 5 };
  const param = { start: base.indexOf("?"), end: base.indexOf("?") + 1 };

  it("replaces whole tokens and inserts at token boundaries", () => {
    expect(
      applyStatementEdits(base, [
        { ...email, text: quoteName("email__beacon") },
        { ...param, text: quoteString("3fa1") },
        { start: base.length, end: base.length, text: " AND x = 1" },
      ]),
    ).toBe(`SELECT * FROM Users WHERE "email__beacon" = '3fa1' AND pk = ? AND x = 1`);
  });

  it("refuses an edit that cuts into a token", () => {
    expect(
      applyStatementEdits(base, [{ start: email.start + 1, end: email.end, text: "x" }]),
    ).toBeUndefined();
  });

  it("refuses overlapping edits", () => {
    expect(
      applyStatementEdits(base, [
        { ...email, text: "a" },
        { start: email.start + 2, end: email.end + 2, text: "b" },
      ]),
    ).toBeUndefined();
  });

  it("refuses an insertion that runs into its neighbour and changes its tokens", () => {
    // "email" + "x" would read as the one name "emailx".
    expect(
      applyStatementEdits(base, [{ start: email.end, end: email.end, text: "x" }]),
    ).toBeUndefined();
    // A string literal right before another would read as one string with a quote in it.
    const s = `SELECT * FROM Users WHERE a = 'x'`;
    const end = s.length - 3;
    expect(applyStatementEdits(s, [{ start: end, end, text: "'y'" }])).toBeUndefined();
  });

  it("refuses the same span edited twice, even when the result would read as two whole tokens", () => {
    expect(
      applyStatementEdits(base, [
        { ...email, text: quoteName("x") },
        { ...email, text: ` ${quoteName("y")}` },
      ]),
    ).toBeUndefined();
  });

  it("accepts edits that touch without overlapping, in either order given", () => {
    const replace = { ...email, text: quoteName("b") };
    const insertBefore = { start: email.start, end: email.start, text: "x = 1 AND " };
    const insertAfter = { start: email.end, end: email.end, text: " " };
    const expected = `SELECT * FROM Users WHERE x = 1 AND "b"  = ? AND pk = ?`;
    expect(applyStatementEdits(base, [insertBefore, replace, insertAfter])).toBe(expected);
    expect(applyStatementEdits(base, [insertAfter, replace, insertBefore])).toBe(expected);
  });

  it("refuses an edit that ends before it starts, even over whitespace only", () => {
    const space = base.indexOf(" = ");
    expect(applyStatementEdits(base, [{ start: space + 1, end: space, text: "" }])).toBeUndefined();
  });

  it("refuses an edit past the end of the statement", () => {
    expect(
      applyStatementEdits(base, [{ start: base.length, end: base.length + 3, text: "" }]),
    ).toBeUndefined();
  });

  it("refuses a name whose quoting the lexer would not read back (a backslash before the closing quote)", () => {
    expect(applyStatementEdits(base, [{ ...email, text: quoteName("a\\") }])).toBeUndefined();
  });

  it("any attribute name either reads back as exactly that name, or is refused (property)", () => {
    fc.assert(
      fc.property(tricky(1), (name) => {
        const rewritten = applyStatementEdits(base, [{ ...email, text: quoteName(name) }]);
        // Only a backslash directly before a quote is refused inside a quoted name.
        if (quoteName(name).includes('\\"')) return expect(rewritten).toBeUndefined();
        if (rewritten === undefined) throw new Error("a quotable name was refused");
        const s = parseStatement(rewritten).statement as Extract<Statement, { kind: "select" }>;
        const and = s.where as Extract<Condition, { kind: "and" | "or" }>;
        const cmp = and.left as Extract<Condition, { kind: "compare" }>;
        expect(cmp.left).toMatchObject({ kind: "path", steps: [name] });
        expect(parseStatement(rewritten).placeholders).toBe(2);
      }),
    );
  });

  it("any string literal either reads back as exactly that string, or is refused (property)", () => {
    fc.assert(
      fc.property(tricky(0), (value) => {
        const rewritten = applyStatementEdits(base, [{ ...param, text: quoteString(value) }]);
        if (quoteString(value).includes("\\'")) return expect(rewritten).toBeUndefined();
        if (rewritten === undefined) throw new Error("a quotable string was refused");
        const s = parseStatement(rewritten).statement as Extract<Statement, { kind: "select" }>;
        const and = s.where as Extract<Condition, { kind: "and" | "or" }>;
        expect(and.left).toMatchObject({ right: { kind: "literal", type: "string", text: value } });
        expect(parseStatement(rewritten).placeholders).toBe(1);
      }),
    );
  });
});
