import fc from "fast-check";
import { EncryptionError } from "../../../src";
import { tokenize } from "../../../src/partiql/lexer";
import { parseStatement } from "../../../src/partiql/parser";
import {
  ASCII_SPACES,
  isAsciiSpace,
  OTHER_SPACES,
  oddString,
  separator,
} from "../../support/partiql-arbitraries";

const unsupported = expect.objectContaining({ code: "operation.unsupported" });
const hex = (s: string) =>
  [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`).join(" ");

describe("PartiQL lexer: what DynamoDB might read differently is refused", () => {
  it.each([
    [
      "a -- comment ended by CR (the issue's bypass)",
      "INSERT INTO Users VALUE {'pk': ? --\r, 'ssn': ?\n}",
    ],
    ["a -- comment ended by LF", "SELECT * FROM Users -- note\n"],
    ["a -- comment at the end", "SELECT * FROM Users --"],
    ["a block comment", "SELECT * FROM Users /* note */"],
    ["a block comment between tokens", "SELECT/**/* FROM Users"],
    ["a carriage return as whitespace", "SELECT *\rFROM Users"],
    ["--1 in arithmetic", "UPDATE Users SET n = 1--1"],
    ["a backtick (Ion literal)", "INSERT INTO Users VALUE {'pk': `x`}"],
    ["an unterminated string", "SELECT * FROM Users WHERE a = 'x"],
  ])("refuses %s", (_, text) => {
    expect(() => tokenize(text)).toThrow(unsupported);
  });

  it.each(OTHER_SPACES.map((c) => [hex(c), c]))(
    "refuses %s between tokens, and keeps it as data inside a string and a quoted name",
    (_, c) => {
      expect(() => tokenize(`SELECT *${c}FROM Users`)).toThrow(unsupported);
      const [str, name] = tokenize(`'a${c}b' "a${c}b"`);
      expect(str).toMatchObject({ kind: "string", text: `a${c}b` });
      expect(name).toMatchObject({ kind: "quoted", text: `a${c}b` });
    },
  );

  it.each(ASCII_SPACES.map((c) => [hex(c), c]))("accepts %s between tokens", (_, c) => {
    expect(tokenize(`SELECT${c}*${c}FROM${c}Users`).map((t) => t.text)).toEqual([
      "SELECT",
      "*",
      "FROM",
      "Users",
      "",
    ]);
  });

  it("comment and placeholder look-alikes inside quotes are data, and a doubled quote is one quote", () => {
    expect(tokenize(`'-- /* ? '' */' "a--""?"`).map((t) => [t.kind, t.text])).toEqual([
      ["string", "-- /* ? ' */"],
      ["quoted", 'a--"?'],
      ["end", ""],
    ]);
  });

  it("refuses a backslash directly before a quote inside a string or a name; other backslashes are data", () => {
    for (const text of [`'a\\'`, `'a\\'' '`, `"a\\"`, `'\\'`])
      expect(() => tokenize(text)).toThrow(unsupported);
    expect(tokenize(`'a\\b' "c\\d"`).map((t) => t.text)).toEqual(["a\\b", "c\\d", ""]);
  });

  it("the message says why and that nothing was sent, and names the character by code point only", () => {
    let error: unknown;
    try {
      tokenize("SELECT *\u00a0FROM Users");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncryptionError);
    const { message } = error as EncryptionError;
    expect(message).toContain("U+00A0");
    expect(message).not.toContain("\u00a0");
    expect(message).toContain("Nothing was sent.");
  });

  it("property: a statement lexes only when every separator is ASCII space, tab or line feed and no string has a backslash before a quote", () => {
    const words = ["INSERT", "INTO", '"Users"', "VALUE", "{", "'note'", ":", "?", ",", "'n'", ":"];
    fc.assert(
      fc.property(
        fc.array(separator, { minLength: words.length + 1, maxLength: words.length + 1 }),
        oddString,
        (seps, literal) => {
          const tokens = [...words, literal, "}"];
          const text = tokens.map((t, i) => `${t}${seps[i] ?? ""}`).join("");
          const ok = seps.every(isAsciiSpace) && !literal.includes("\\'");
          if (ok) {
            const { placeholders } = parseStatement(text);
            expect(placeholders).toBe(1);
          } else expect(() => tokenize(text)).toThrow(unsupported);
        },
      ),
      { numRuns: 500 },
    );
  });
});
