import { EncryptionError } from "../errors/encryption-error";

export type TokenKind = "word" | "quoted" | "string" | "number" | "param" | "op" | "end";

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  /** The offset just after the token's last character in the statement text. */
  end: number;
}

/**
 * The tokens of the PartiQL subset the plugin analyses. Whitespace is only
 * ASCII space, tab and line feed. Inside 'strings' and "names" every character
 * is data, and a quote is written twice (`''`, `""`).
 */
const TOKEN =
  /[ \t\n]+|('(?:[^']|'')*')|("(?:[^"]|"")*")|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(\?)|([A-Za-z_][A-Za-z0-9_]*)|(<<|>>|<>|!=|<=|>=|[{}[\](),.:;=<>*+-])/y;

/**
 * Refuses what the plugin and DynamoDB could read differently. The plugin
 * only parses statements that name a table with encrypted fields, and for
 * those a disagreement on where a comment, string or token ends can hide a
 * value from the plugin that DynamoDB then stores in plaintext (DynamoDB ends
 * a `--` comment at a carriage return as well as a line feed, for example).
 */
function refuse(why: string, at: number): EncryptionError {
  return new EncryptionError(
    "operation.unsupported",
    `The PartiQL statement ${why} at character ${at}. Statements on tables with encrypted fields may hold no comments, no whitespace other than space, tab and line feed, and no character outside the grammar the plugin analyses, so that the plugin reads them exactly as DynamoDB does. Nothing was sent.`,
  );
}

function describe(text: string, at: number): string {
  const code = text.codePointAt(at)!;
  if (code === 0x0d) return "holds a carriage return (U+000D)";
  const ch = text[at];
  if (ch === "'" || ch === '"') return "holds an unterminated quoted string or name";
  if (ch === "`") return "holds a backtick (Ion literal)";
  const hex = code.toString(16).toUpperCase().padStart(4, "0");
  return `holds the character U+${hex}, which the grammar does not allow there`;
}

/**
 * Splits a statement into tokens, refusing comments (`--`, `/* *\/`), carriage
 * returns, any other whitespace than space, tab and line feed, and any
 * character the grammar does not expect. Inside quotes every character is
 * data, except that a backslash directly before a quote is refused: PartiQL
 * has no backslash escapes (DynamoDB reads `'a\'` as the string `a\`), but a
 * reader that honoured them would end the string elsewhere.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    if (text.startsWith("--", at) || text.startsWith("/*", at)) throw refuse("holds a comment", at);
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw refuse(describe(text, at), at);
    const start = at;
    at = TOKEN.lastIndex;
    if (m[1] !== undefined) {
      if (m[1].includes("\\'")) throw refuse("holds a backslash before a quote in a string", start);
      tokens.push({ kind: "string", text: m[1].slice(1, -1).replace(/''/g, "'"), start, end: at });
    } else if (m[2] !== undefined) {
      if (m[2].includes('\\"')) throw refuse("holds a backslash before a quote in a name", start);
      tokens.push({ kind: "quoted", text: m[2].slice(1, -1).replace(/""/g, '"'), start, end: at });
    } else if (m[3] !== undefined) tokens.push({ kind: "number", text: m[3], start, end: at });
    else if (m[4] !== undefined) tokens.push({ kind: "param", text: "?", start, end: at });
    else if (m[5] !== undefined) tokens.push({ kind: "word", text: m[5], start, end: at });
    else if (m[6] !== undefined) tokens.push({ kind: "op", text: m[6], start, end: at });
  }
  tokens.push({ kind: "end", text: "", start: at, end: at });
  return tokens;
}
