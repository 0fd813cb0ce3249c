import { EncryptionError } from "../errors/encryption-error";
import type { Condition, Expr, PathExpr, Statement, TableRef, ValueExpr } from "./ast";

/**
 * A parser for the PartiQL subset DynamoDB accepts:
 *
 * ```
 * statement := SELECT (* | path (, path)*) FROM table [WHERE condition]
 *            | INSERT INTO table VALUE value
 *            | UPDATE table (SET path = expr (, path = expr)* | REMOVE path (, path)*)+ [WHERE condition] [RETURNING word word *]
 *            | DELETE FROM table [WHERE condition] [RETURNING ALL OLD *]
 * table     := name [. name]                               (a table, or a table and an index)
 * value     := ? | 'string' | number | TRUE | FALSE | NULL | MISSING
 *            | { 'key' : expr (, 'key' : expr)* } | [ expr, … ] | << expr, … >>
 * expr      := term ((+ | -) term)*
 * term      := value | path | name ( expr, … )
 * condition := and (OR and)* ; and := not (AND not)* ; not := NOT not | ( condition ) | predicate
 * predicate := expr (comparator expr | [NOT] BETWEEN expr AND expr | [NOT] IN ( expr, … ) | [ expr, … ] | IS [NOT] MISSING|NULL)
 *            | name ( expr, … )
 * path      := name (. name | [ number ] | [ 'string' ])*  where a name is bare or "double-quoted"
 * ```
 * Anything else throws `operation.unsupported`: a statement the plugin cannot
 * map is never sent to a table with encrypted fields.
 */
type TokenKind = "word" | "quoted" | "string" | "number" | "param" | "op" | "end";
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

const TOKEN =
  /\s+|--[^\n]*|('(?:[^']|'')*')|("(?:[^"]|"")*")|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(\?)|([A-Za-z_][A-Za-z0-9_]*)|(<<|>>|<>|!=|<=|>=|[{}[\](),.:;=<>*+-])/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw unparsable(`unexpected character at ${at}`);
    const start = at;
    at = TOKEN.lastIndex;
    if (m[1] !== undefined)
      tokens.push({ kind: "string", text: m[1].slice(1, -1).replace(/''/g, "'"), start });
    else if (m[2] !== undefined)
      tokens.push({ kind: "quoted", text: m[2].slice(1, -1).replace(/""/g, '"'), start });
    else if (m[3] !== undefined) tokens.push({ kind: "number", text: m[3], start });
    else if (m[4] !== undefined) tokens.push({ kind: "param", text: "?", start });
    else if (m[5] !== undefined) tokens.push({ kind: "word", text: m[5], start });
    else if (m[6] !== undefined) tokens.push({ kind: "op", text: m[6], start });
  }
  tokens.push({ kind: "end", text: "", start: at });
  return tokens;
}

function unparsable(why: string): EncryptionError {
  return new EncryptionError(
    "operation.unsupported",
    `Cannot analyse the PartiQL statement: ${why}. Nothing was sent.`,
  );
}

const RESERVED = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "BETWEEN",
  "IN",
  "IS",
  "SET",
  "REMOVE",
  "RETURNING",
  "VALUE",
  "INTO",
  "MISSING",
  "NULL",
  "TRUE",
  "FALSE",
]);

class Parser {
  private at = 0;
  private params = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[this.at]!;
  }
  private fail(expected: string): never {
    throw unparsable(`expected ${expected} at character ${this.t.start}`);
  }
  private word(w: string): boolean {
    return this.t.kind === "word" && this.t.text.toUpperCase() === w;
  }
  private op(o: string): boolean {
    return this.t.kind === "op" && this.t.text === o;
  }
  private eatWord(w: string): void {
    if (!this.word(w)) this.fail(w);
    this.at++;
  }
  private eatOp(o: string): void {
    if (!this.op(o)) this.fail(`"${o}"`);
    this.at++;
  }

  statement(): Statement {
    let s: Statement;
    if (this.word("SELECT")) s = this.select();
    else if (this.word("INSERT")) s = this.insert();
    else if (this.word("UPDATE")) s = this.update();
    else if (this.word("DELETE")) s = this.delete();
    else this.fail("SELECT, INSERT, UPDATE or DELETE");
    if (this.op(";")) this.at++;
    if (this.t.kind !== "end") this.fail("the end of the statement");
    return s;
  }

  private name(): string {
    const t = this.t;
    if (t.kind === "quoted") {
      this.at++;
      return t.text;
    }
    if (t.kind === "word" && !RESERVED.has(t.text.toUpperCase())) {
      this.at++;
      return t.text;
    }
    return this.fail("a name");
  }

  private tableRef(): TableRef {
    const table = this.name();
    if (this.op(".")) {
      this.at++;
      return { table, index: this.name() };
    }
    return { table };
  }

  path(): PathExpr {
    const steps: (string | number)[] = [this.name()];
    for (;;) {
      if (this.op(".")) {
        this.at++;
        steps.push(this.name());
      } else if (this.op("[")) {
        this.at++;
        const t = this.t;
        if (t.kind === "number" && /^\d+$/.test(t.text)) steps.push(Number(t.text));
        else if (t.kind === "string") steps.push(t.text);
        else this.fail("a list index or 'name'");
        this.at++;
        this.eatOp("]");
      } else return { kind: "path", steps };
    }
  }

  private select(): Statement {
    this.eatWord("SELECT");
    let projection: PathExpr[] | "*";
    if (this.op("*")) {
      this.at++;
      projection = "*";
    } else {
      projection = [this.path()];
      while (this.op(",")) {
        this.at++;
        projection.push(this.path());
      }
    }
    this.eatWord("FROM");
    const from = this.tableRef();
    return { kind: "select", from, projection, ...this.where() };
  }

  private where(): { where?: Condition } {
    if (!this.word("WHERE")) return {};
    this.at++;
    return { where: this.condition() };
  }

  private returning(): { returning?: string } {
    if (!this.word("RETURNING")) return {};
    this.at++;
    const words: string[] = [];
    while (this.t.kind === "word") {
      words.push(this.t.text.toUpperCase());
      this.at++;
    }
    this.eatOp("*");
    return { returning: words.join(" ") };
  }

  private insert(): Statement {
    this.eatWord("INSERT");
    this.eatWord("INTO");
    const into = this.tableRef();
    this.eatWord("VALUE");
    return { kind: "insert", into, value: this.expr() };
  }

  private update(): Statement {
    this.eatWord("UPDATE");
    const table = this.tableRef();
    const actions: Extract<Statement, { kind: "update" }>["actions"] = [];
    while (this.word("SET") || this.word("REMOVE")) {
      const set = this.word("SET");
      this.at++;
      do {
        if (this.op(",")) this.at++;
        const path = this.path();
        if (set) {
          this.eatOp("=");
          actions.push({ kind: "set", path, value: this.expr() });
        } else actions.push({ kind: "remove", path });
      } while (this.op(","));
    }
    if (actions.length === 0) this.fail("SET or REMOVE");
    return { kind: "update", table, actions, ...this.where(), ...this.returning() };
  }

  private delete(): Statement {
    this.eatWord("DELETE");
    this.eatWord("FROM");
    const from = this.tableRef();
    return { kind: "delete", from, ...this.where(), ...this.returning() };
  }

  expr(): Expr {
    let left = this.term();
    while (this.op("+") || this.op("-")) {
      const operator = this.t.text;
      this.at++;
      left = { kind: "binary", operator, left, right: this.term() };
    }
    return left;
  }

  private list(close: string): Expr[] {
    const items: Expr[] = [];
    if (!this.op(close)) {
      items.push(this.expr());
      while (this.op(",")) {
        this.at++;
        items.push(this.expr());
      }
    }
    this.eatOp(close);
    return items;
  }

  private term(): Expr {
    const t = this.t;
    if (t.kind === "param") {
      this.at++;
      return { kind: "param", index: this.params++ };
    }
    if (t.kind === "string" || t.kind === "number") {
      this.at++;
      return { kind: "literal", type: t.kind, text: t.text };
    }
    if (this.op("-") && this.tokens[this.at + 1]?.kind === "number") {
      this.at += 2;
      return { kind: "literal", type: "number", text: `-${this.tokens[this.at - 1]!.text}` };
    }
    if (this.word("TRUE") || this.word("FALSE")) {
      this.at++;
      return { kind: "literal", type: "boolean", text: t.text.toUpperCase() };
    }
    if (this.word("NULL") || this.word("MISSING")) {
      this.at++;
      return {
        kind: "literal",
        type: t.text.toUpperCase() === "NULL" ? "null" : "missing",
        text: t.text.toUpperCase(),
      };
    }
    if (this.op("{")) {
      this.at++;
      const entries: { key: string; value: Expr }[] = [];
      if (!this.op("}")) {
        do {
          if (this.op(",")) this.at++;
          if (this.t.kind !== "string") this.fail("a 'key'");
          const key = this.t.text;
          this.at++;
          this.eatOp(":");
          entries.push({ key, value: this.expr() });
        } while (this.op(","));
      }
      this.eatOp("}");
      return { kind: "tuple", entries };
    }
    if (this.op("[")) {
      this.at++;
      return { kind: "list", items: this.list("]") };
    }
    if (this.op("<<")) {
      this.at++;
      return { kind: "bag", items: this.list(">>") };
    }
    if (
      t.kind === "word" &&
      this.tokens[this.at + 1]?.text === "(" &&
      !RESERVED.has(t.text.toUpperCase())
    ) {
      this.at += 2;
      return { kind: "call", name: t.text.toLowerCase(), args: this.list(")") };
    }
    return this.path();
  }

  condition(): Condition {
    let left = this.and();
    while (this.word("OR")) {
      this.at++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Condition {
    let left = this.not();
    while (this.word("AND")) {
      this.at++;
      left = { kind: "and", left, right: this.not() };
    }
    return left;
  }

  private not(): Condition {
    if (this.word("NOT")) {
      this.at++;
      return { kind: "not", operand: this.not() };
    }
    if (this.op("(")) {
      const save = this.at;
      const params = this.params;
      this.at++;
      try {
        const inner = this.condition();
        this.eatOp(")");
        return inner;
      } catch {
        // not a parenthesised condition: parse it again as a predicate
        this.at = save;
        this.params = params;
      }
    }
    return this.predicate();
  }

  private predicate(): Condition {
    const subject = this.expr();
    if (this.t.kind === "op" && ["=", "<>", "!=", "<", "<=", ">", ">="].includes(this.t.text)) {
      const operator = this.t.text;
      this.at++;
      return { kind: "compare", operator, left: subject, right: this.expr() };
    }
    const negated = this.word("NOT");
    if (negated) this.at++;
    if (this.word("BETWEEN")) {
      this.at++;
      const low = this.expr();
      this.eatWord("AND");
      const node: Condition = { kind: "between", subject, low, high: this.expr() };
      return negated ? { kind: "not", operand: node } : node;
    }
    if (this.word("IN")) {
      this.at++;
      let list: Expr[];
      if (this.op("(")) {
        this.at++;
        list = this.list(")");
      } else if (this.op("[")) {
        this.at++;
        list = this.list("]");
      } else return this.fail("( or [");
      const node: Condition = { kind: "in", subject, list };
      return negated ? { kind: "not", operand: node } : node;
    }
    if (negated) this.fail("BETWEEN or IN");
    if (this.word("IS")) {
      this.at++;
      const not = this.word("NOT");
      if (not) this.at++;
      const what = this.t.text.toUpperCase();
      if (what !== "MISSING" && what !== "NULL") this.fail("MISSING or NULL");
      this.at++;
      return { kind: "is", subject, negated: not, what };
    }
    if (subject.kind === "call") return { kind: "function", call: subject };
    return this.fail("a comparison");
  }
}

/** Parses one PartiQL statement; `?` parameters are numbered in order of appearance. */
export function parseStatement(text: string): Statement {
  return new Parser(tokenize(text)).statement();
}

export type { ValueExpr };
