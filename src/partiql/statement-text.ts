import { type Token, tokenize } from "./lexer";

/** A text edit of a statement: replace `[start, end)` with `text` (an insertion when `start === end`). */
export interface StatementEdit {
  start: number;
  end: number;
  text: string;
}

/** A PartiQL name in double quotes, a `"` written twice: read as exactly `name`, never as a keyword. */
export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PartiQL string literal in single quotes, a `'` written twice. */
export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const lexeme = (t: Token): string => `${t.kind}\0${t.text}`;

/**
 * Applies `edits` to `text`, and proves that the result reads, token for
 * token, as the original with each edited span replaced by the tokens of its
 * new text: no edit may cut into a token, overlap another, or merge with or
 * split its neighbours (a name that ended a quote early, a word run into a
 * keyword). Returns undefined when that does not hold (or the new text does
 * not tokenize), so that the caller refuses instead of sending a statement
 * whose meaning differs from the one the plugin analysed.
 */
export function applyStatementEdits(
  text: string,
  edits: readonly StatementEdit[],
): string | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const original = tokenize(text).slice(0, -1);
  const expected: string[] = [];
  let out = "";
  let at = 0;
  let i = 0;
  try {
    for (const edit of sorted) {
      if (edit.start < at || edit.end < edit.start || edit.end > text.length) return undefined;
      while (i < original.length && original[i]!.end <= edit.start)
        expected.push(lexeme(original[i++]!));
      while (i < original.length && original[i]!.start < edit.end) {
        // A token the edit overlaps must lie wholly inside it.
        if (original[i]!.start < edit.start || original[i]!.end > edit.end) return undefined;
        i++;
      }
      expected.push(...tokenize(edit.text).slice(0, -1).map(lexeme));
      out += text.slice(at, edit.start) + edit.text;
      at = edit.end;
    }
    out += text.slice(at);
    while (i < original.length) expected.push(lexeme(original[i++]!));
    const actual = tokenize(out).slice(0, -1).map(lexeme);
    if (actual.length !== expected.length || actual.some((t, k) => t !== expected[k]))
      return undefined;
  } catch {
    // The new text does not tokenize (a name with a backslash before a quote, …).
    return undefined;
  }
  return out;
}
