import { EncryptionError } from "../errors/encryption-error";
import type {
  CallNode,
  ConditionNode,
  OperandNode,
  PathNode,
  UpdateAction,
  UpdateNode,
} from "./ast";
import { type Token, tokenize } from "./lexer";

/**
 * A recursive-descent parser for DynamoDB's expression language:
 *
 * ```
 * update     := clause+                        (each of SET, REMOVE, ADD, DELETE at most once)
 * clause     := SET set (, set)* | REMOVE path (, path)* | ADD path operand (, …)* | DELETE path operand (, …)*
 * set        := path = operand ((+ | -) operand)?
 * condition  := and (OR and)*
 * and        := not (AND not)*
 * not        := NOT not | ( condition ) | predicate
 * predicate  := operand (comparator operand | BETWEEN operand AND operand | IN ( operand (, operand)* ))
 *             | function                       (a boolean function such as attribute_exists(path))
 * operand    := path | :value | function
 * function   := name ( operand (, operand)* )
 * path       := name (. name | [ digits ])*    where name is an identifier or a #placeholder
 * projection := path (, path)*
 * ```
 * Keywords are case-insensitive. Anything else is `expression.unsupportedOnEncrypted`:
 * an expression the plugin cannot analyse is never sent. An expression longer
 * than {@link MAX_EXPRESSION_LENGTH} or nested deeper than
 * {@link MAX_EXPRESSION_DEPTH} is `expression.tooComplex`.
 */
/**
 * The longest expression the plugin analyses: twice DynamoDB's own limit of
 * 4 KB per expression, so that no expression DynamoDB accepts is refused for
 * its length.
 */
export const MAX_EXPRESSION_LENGTH = 8_192;

/**
 * How deep parentheses, NOT and function calls may nest, and how many steps a
 * document path may have. DynamoDB allows at most 300 operators in an
 * expression and 32 levels of nested maps and lists; 100 leaves room for any
 * real expression while keeping the parser and every walk over its result far
 * from the stack limit.
 */
export const MAX_EXPRESSION_DEPTH = 100;

const KEYWORDS = new Set(["SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN"]);
const COMPARATORS = new Set(["=", "<>", "<", "<=", ">", ">="]);

/** Where each parsed path stands in its expression's text, so that a rewrite can replace it. */
const PATH_SPANS = new WeakMap<PathNode, { start: number; end: number }>();
/** Where each clause keyword of a parsed update expression ends, so that a rewrite can add actions to it. */
const CLAUSE_ENDS = new WeakMap<UpdateNode, Record<string, number>>();

/** The text span of a path this parser made. */
export function pathSpan(node: PathNode): { start: number; end: number } | undefined {
  return PATH_SPANS.get(node);
}

/** The offset just after the `SET` / `REMOVE` / `ADD` / `DELETE` keyword of an update expression, when it has that clause. */
export function clauseEnd(node: UpdateNode, clause: string): number | undefined {
  return CLAUSE_ENDS.get(node)?.[clause];
}

class Parser {
  private at = 0;
  private depth = 0;
  private readonly tokens: Token[];

  constructor(
    text: string,
    private readonly what: string,
  ) {
    if (text.length > MAX_EXPRESSION_LENGTH) {
      throw new EncryptionError(
        "expression.tooComplex",
        `${what} is ${text.length} characters long; the plugin analyses at most ${MAX_EXPRESSION_LENGTH}. Nothing was sent.`,
      );
    }
    this.tokens = tokenize(text, what);
  }

  private tooDeep(): never {
    throw new EncryptionError(
      "expression.tooComplex",
      `${this.what} nests parentheses, NOT, function calls or document path steps more than ${MAX_EXPRESSION_DEPTH} deep; the plugin does not analyse it. Nothing was sent.`,
    );
  }

  /** Parses one nested construct, refusing nesting the plugin will not follow (and the stack could not). */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_EXPRESSION_DEPTH) this.tooDeep();
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private get token(): Token {
    return this.tokens[this.at]!;
  }

  fail(expected: string): never {
    const t = this.token;
    throw new EncryptionError(
      "expression.unsupportedOnEncrypted",
      `Cannot analyse ${this.what}: expected ${expected} at character ${t.start}${t.kind === "end" ? " (end of expression)" : ""}. Nothing was sent.`,
    );
  }

  private isKeyword(word: string): boolean {
    return this.token.kind === "ident" && this.token.text.toUpperCase() === word;
  }

  private isOp(op: string): boolean {
    return this.token.kind === "op" && this.token.text === op;
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) this.fail(`"${op}"`);
    this.at += 1;
  }

  end(): void {
    if (this.token.kind !== "end") this.fail("the end of the expression");
  }

  path(): PathNode {
    const start = this.token.start;
    const steps: PathNode["steps"] = [this.name()];
    for (;;) {
      if (steps.length > MAX_EXPRESSION_DEPTH) this.tooDeep();
      if (this.isOp(".")) {
        this.at += 1;
        steps.push(this.name());
      } else if (this.isOp("[")) {
        this.at += 1;
        if (this.token.kind !== "number") this.fail("a list index");
        steps.push({ kind: "index", index: Number(this.token.text) });
        this.at += 1;
        this.expectOp("]");
      } else {
        const node: PathNode = { kind: "path", steps };
        PATH_SPANS.set(node, { start, end: this.tokens[this.at - 1]!.end });
        return node;
      }
    }
  }

  private name(): PathNode["steps"][number] & { kind: "name" | "placeholder" } {
    const t = this.token;
    if (t.kind === "placeholder") {
      this.at += 1;
      return { kind: "placeholder", text: t.text };
    }
    if (t.kind === "ident" && !KEYWORDS.has(t.text.toUpperCase())) {
      this.at += 1;
      return { kind: "name", text: t.text };
    }
    return this.fail("an attribute name");
  }

  operand(): OperandNode {
    const t = this.token;
    if (t.kind === "value") {
      this.at += 1;
      return { kind: "value", name: t.text, start: t.start, end: t.end };
    }
    if (
      t.kind === "ident" &&
      this.tokens[this.at + 1]?.text === "(" &&
      !KEYWORDS.has(t.text.toUpperCase())
    )
      return this.nested(() => this.call());
    return this.path();
  }

  private call(): CallNode {
    const name = this.token.text;
    this.at += 2;
    const args: OperandNode[] = [];
    if (!this.isOp(")")) {
      args.push(this.operand());
      while (this.isOp(",")) {
        this.at += 1;
        args.push(this.operand());
      }
    }
    this.expectOp(")");
    return { kind: "call", name, args };
  }

  setValue(): OperandNode {
    const left = this.operand();
    if (this.isOp("+") || this.isOp("-")) {
      const operator = this.token.text as "+" | "-";
      this.at += 1;
      return { kind: "arithmetic", operator, left, right: this.operand() };
    }
    return left;
  }

  update(): UpdateNode {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    const clauseEnds: Record<string, number> = {};
    do {
      const clause = this.token.kind === "ident" ? this.token.text.toUpperCase() : "";
      if (!["SET", "REMOVE", "ADD", "DELETE"].includes(clause) || seen.has(clause))
        this.fail("SET, REMOVE, ADD or DELETE (each at most once)");
      seen.add(clause);
      clauseEnds[clause] = this.token.end;
      this.at += 1;
      do {
        if (actions.length > 0 && this.isOp(",")) this.at += 1;
        const path = this.path();
        if (clause === "SET") {
          this.expectOp("=");
          actions.push({ kind: "SET", path, value: this.setValue() });
        } else if (clause === "REMOVE") actions.push({ kind: "REMOVE", path });
        else actions.push({ kind: clause as "ADD" | "DELETE", path, value: this.operand() });
      } while (this.isOp(","));
    } while (this.token.kind !== "end");
    const node = { actions };
    CLAUSE_ENDS.set(node, clauseEnds);
    return node;
  }

  condition(): ConditionNode {
    let left = this.and();
    while (this.isKeyword("OR")) {
      this.at += 1;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): ConditionNode {
    let left = this.not();
    while (this.isKeyword("AND")) {
      this.at += 1;
      left = { kind: "and", left, right: this.not() };
    }
    return left;
  }

  private not(): ConditionNode {
    if (this.isKeyword("NOT")) {
      this.at += 1;
      return this.nested(() => ({ kind: "not", operand: this.not() }));
    }
    if (this.isOp("(")) {
      this.at += 1;
      return this.nested(() => {
        const inner = this.condition();
        this.expectOp(")");
        return inner;
      });
    }
    return this.predicate();
  }

  private predicate(): ConditionNode {
    const subject = this.operand();
    if (this.token.kind === "op" && COMPARATORS.has(this.token.text)) {
      const operator = this.token.text as "=";
      this.at += 1;
      return { kind: "compare", operator, left: subject, right: this.operand() };
    }
    if (this.isKeyword("BETWEEN")) {
      this.at += 1;
      const low = this.operand();
      if (!this.isKeyword("AND")) this.fail("AND");
      this.at += 1;
      return { kind: "between", subject, low, high: this.operand() };
    }
    if (this.isKeyword("IN")) {
      this.at += 1;
      this.expectOp("(");
      const list = [this.operand()];
      while (this.isOp(",")) {
        this.at += 1;
        list.push(this.operand());
      }
      this.expectOp(")");
      return { kind: "in", subject, list };
    }
    if (subject.kind === "call") return { kind: "function", call: subject };
    return this.fail("a comparison, BETWEEN, IN or a function");
  }

  projection(): PathNode[] {
    const paths = [this.path()];
    while (this.isOp(",")) {
      this.at += 1;
      paths.push(this.path());
    }
    return paths;
  }
}

export function parseUpdateExpression(text: string): UpdateNode {
  const parser = new Parser(text, "UpdateExpression");
  const node = parser.update();
  parser.end();
  return node;
}

export function parseConditionExpression(text: string, what = "the condition"): ConditionNode {
  const parser = new Parser(text, what);
  const node = parser.condition();
  parser.end();
  return node;
}

export function parseProjectionExpression(text: string): PathNode[] {
  const parser = new Parser(text, "ProjectionExpression");
  const node = parser.projection();
  parser.end();
  return node;
}
