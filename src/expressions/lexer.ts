import { EncryptionError } from "../errors/encryption-error";

export type TokenKind = "ident" | "placeholder" | "value" | "number" | "op" | "end";

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const PATTERN =
  /\s+|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|[=<>()[\],.+-])/y;

/** Splits a DynamoDB expression into tokens; any other character makes the expression unanalysable. */
export function tokenize(expression: string, what: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < expression.length) {
    PATTERN.lastIndex = at;
    const match = PATTERN.exec(expression);
    if (!match) {
      throw new EncryptionError(
        "expression.unsupportedOnEncrypted",
        `Cannot analyse ${what}: unexpected character at ${at}. Nothing was sent.`,
      );
    }
    const start = at;
    at = PATTERN.lastIndex;
    const text = match[0];
    if (match[1] !== undefined) tokens.push({ kind: "placeholder", text, start, end: at });
    else if (match[2] !== undefined) tokens.push({ kind: "value", text, start, end: at });
    else if (match[3] !== undefined) tokens.push({ kind: "ident", text, start, end: at });
    else if (match[4] !== undefined) tokens.push({ kind: "number", text, start, end: at });
    else if (match[5] !== undefined) tokens.push({ kind: "op", text, start, end: at });
  }
  tokens.push({ kind: "end", text: "", start: at, end: at });
  return tokens;
}
