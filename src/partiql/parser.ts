import { EncryptionError } from "../errors/encryption-error";
import type { Condition, Expr, PathExpr, Statement, TableRef, ValueExpr } from "./ast";
import { type Token, tokenize } from "./lexer";

/**
 * The longest statement the plugin analyses, in UTF-16 code units: twice
 * DynamoDB's own limit of 8,192 characters, so that no statement DynamoDB
 * accepts is refused for its length.
 */
export const MAX_STATEMENT_LENGTH = 16_384;

/**
 * How deep parentheses, NOT, function calls, tuples, lists and arithmetic may
 * nest, and how many steps a path may have. DynamoDB stores maps and lists at
 * most 32 levels deep; 100 leaves room for any real statement while keeping
 * the parser and every walk over its result far from the stack limit.
 */
export const MAX_STATEMENT_DEPTH = 100;

/** Where a node stands in the statement text: `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** The text spans of the paths, `?` parameters, tuples and UPDATE actions this parser made, for rewriting. */
const SPANS = new WeakMap<object, Span>();

/**
 * The text span of a path, a `?` parameter, a tuple (from `{` to `}`
 * inclusive) or an UPDATE action (from its path to the end of its value)
 * this parser made.
 */
export function spanOf(node: object): Span | undefined {
  return SPANS.get(node);
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
 * map is never sent to a table with encrypted fields. So does a lexical form
 * DynamoDB might read differently (see `tokenize`). A statement longer than
 * {@link MAX_STATEMENT_LENGTH} or nested deeper than {@link MAX_STATEMENT_DEPTH}
 * throws `expression.tooComplex`.
 */
class Parser {
  private at = 0;
  /** The number of `?` placeholders read so far; each is numbered in order of appearance. */
  params = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Goes one level deeper, refusing nesting the plugin will not follow (and the stack could not). */
  private enter(): void {
    if (++this.depth > MAX_STATEMENT_DEPTH) this.tooDeep();
  }

  private tooDeep(): never {
    throw new EncryptionError(
      "expression.tooComplex",
      `The PartiQL statement nests parentheses, NOT, function calls, tuples, lists, arithmetic or path steps more than ${MAX_STATEMENT_DEPTH} deep; the plugin does not analyse it. Nothing was sent.`,
    );
  }

  /** Parses one nested construct. */
  private nested<T>(parse: () => T): T {
    this.enter();
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** Records that `node` spans from offset `start` to the end of the last token read. */
  private mark<T extends object>(node: T, start: number): T {
    SPANS.set(node, { start, end: this.tokens[this.at - 1]!.end });
    return node;
  }

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
    const start = this.t.start;
    const steps: (string | number)[] = [this.name()];
    for (;;) {
      if (steps.length > MAX_STATEMENT_DEPTH) this.tooDeep();
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
      } else return this.mark({ kind: "path", steps }, start);
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
        const start = this.t.start;
        const path = this.path();
        if (set) {
          this.eatOp("=");
          actions.push(this.mark({ kind: "set", path, value: this.expr() }, start));
        } else actions.push(this.mark({ kind: "remove", path }, start));
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
    const depth = this.depth;
    try {
      while (this.op("+") || this.op("-")) {
        const operator = this.t.text;
        this.at++;
        // Each operator nests the tree one level deeper: a + b + c is (a + b) + c.
        this.enter();
        left = { kind: "binary", operator, left, right: this.term() };
      }
    } finally {
      this.depth = depth;
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
      return this.mark({ kind: "param", index: this.params++ }, t.start);
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
      return this.mark(
        this.nested(() => this.tuple()),
        t.start,
      );
    }
    if (this.op("[")) {
      this.at++;
      return this.nested(() => ({ kind: "list", items: this.list("]") }));
    }
    if (this.op("<<")) {
      this.at++;
      return this.nested(() => ({ kind: "bag", items: this.list(">>") }));
    }
    if (
      t.kind === "word" &&
      this.tokens[this.at + 1]?.text === "(" &&
      !RESERVED.has(t.text.toUpperCase())
    ) {
      this.at += 2;
      return this.nested(() => ({
        kind: "call",
        name: t.text.toLowerCase(),
        args: this.list(")"),
      }));
    }
    return this.path();
  }

  private tuple(): Expr {
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
      return this.nested(() => ({ kind: "not", operand: this.not() }));
    }
    if (this.op("(")) {
      // A term never starts with "(", so a "(" here can only open a condition.
      this.at++;
      return this.nested(() => {
        const inner = this.condition();
        this.eatOp(")");
        return inner;
      });
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

/** A parsed statement and the number of `?` placeholders in it. */
export interface ParsedStatement {
  statement: Statement;
  placeholders: number;
}

/** Parses one PartiQL statement; `?` parameters are numbered in order of appearance. */
export function parseStatement(text: string): ParsedStatement {
  if (text.length > MAX_STATEMENT_LENGTH) {
    throw new EncryptionError(
      "expression.tooComplex",
      `The PartiQL statement is ${text.length} characters long; the plugin analyses at most ${MAX_STATEMENT_LENGTH}. Nothing was sent.`,
    );
  }
  const parser = new Parser(tokenize(text));
  const statement = parser.statement();
  return { statement, placeholders: parser.params };
}

export type { ValueExpr };
