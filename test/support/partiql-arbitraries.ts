import fc from "fast-check";

/** The whitespace the plugin's PartiQL lexer accepts: ASCII space, tab and line feed. */
export const ASCII_SPACES = [" ", "\t", "\n"] as const;

/**
 * Every other character some lexer may read as whitespace or as the end of a
 * line: the rest of Unicode's White_Space (CR, VT, FF, NEL, NBSP, the U+2000
 * spaces, LS, PS, …), Java's extra whitespace (U+001C–U+001F), the zero-width
 * and format characters, NUL and the byte-order mark. DynamoDB Local reads CR,
 * VT and FF as whitespace and ends a `--` comment at CR as well as LF.
 */
export const OTHER_SPACES = [
  "\r",
  "\r\n",
  "\v",
  "\f",
  "\u0000",
  "\u001c",
  "\u001d",
  "\u001e",
  "\u001f",
  "\u0085",
  "\u00a0",
  "\u1680",
  "\u180e",
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  "\u200b",
  "\u200c",
  "\u200d",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u2060",
  "\u3000",
  "\ufeff",
] as const;

/** What may end a `--` comment, to some lexer: LF and every other candidate above. */
export const LINE_END_CANDIDATES = ["\n", ...OTHER_SPACES] as const;

const commentBody = fc.constantFrom("", "x", " note ", "'", '"', ",", "?", "*/", "--");

/** ASCII whitespace between two tokens, which the plugin accepts. */
export const asciiSeparator: fc.Arbitrary<string> = fc.constantFrom(...ASCII_SPACES, "  ", " \n ");

/**
 * Anything else that may stand between two tokens: any other space or line
 * terminator, a `--` comment ended by any line-end candidate, or a block
 * comment. A `--` comment ended by CR with a line feed further on is the shape
 * of the bypass the old lexer let through.
 */
export const exoticSeparator: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_SPACES) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(commentBody, fc.constantFrom(...LINE_END_CANDIDATES))
      .map(([body, end]) => `--${body}${end}`),
  },
  { weight: 1, arbitrary: commentBody.map((body) => `/*${body}*/`) },
);

/** What may stand between two tokens, ASCII whitespace more often than not. */
export const separator: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: asciiSeparator },
  { weight: 2, arbitrary: exoticSeparator },
);

/**
 * `count` separators: ASCII whitespace, with none, one, two or three of them
 * replaced by exotic ones, so that clean statements and statements with a
 * comment ended by CR followed later by a line feed are both common.
 */
export function separators(count: number): fc.Arbitrary<string[]> {
  return fc
    .tuple(
      fc.array(asciiSeparator, { minLength: count, maxLength: count }),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([]) },
        {
          weight: 1,
          arbitrary: fc.array(fc.tuple(fc.nat({ max: count - 1 }), exoticSeparator), {
            minLength: 1,
            maxLength: 3,
          }),
        },
      ),
    )
    .map(([base, replacements]) => {
      const out = [...base];
      for (const [at, sep] of replacements) out[at] = sep;
      return out;
    });
}

/** True when the separator is one the plugin accepts. */
export const isAsciiSpace = (s: string): boolean => /^[ \t\n]+$/.test(s);

/**
 * String literals with odd quoting: doubled quotes, comment and placeholder
 * look-alikes, other quotes, line terminators, and a backslash before the
 * closing quote (data to DynamoDB; refused by the plugin, since a reader that
 * honoured backslash escapes would end the string elsewhere).
 */
export const oddString: fc.Arbitrary<string> = fc.constantFrom(
  `'plain'`,
  `'it''s'`,
  `''''`,
  `'-- not a comment'`,
  `'/* not a comment */'`,
  `'?'`,
  `'"'`,
  "'`'",
  `'a\rb'`,
  `'a\u2028b'`,
  `'a\\'`,
  `'a\\''b'`,
  `'\\'`,
);
