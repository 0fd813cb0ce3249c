/** A value in a PartiQL statement: a `?` parameter, a literal, or a tuple, list or bag of values. */
export type ValueExpr =
  | { kind: "param"; index: number }
  | { kind: "literal"; type: "string" | "number" | "boolean" | "null" | "missing"; text: string }
  | { kind: "tuple"; entries: { key: string; value: Expr }[] }
  | { kind: "list" | "bag"; items: Expr[] };

/** A path: a top-level name, then `.name` or `[index]` steps. */
export interface PathExpr {
  kind: "path";
  steps: (string | number)[];
}

export type Expr =
  | ValueExpr
  | PathExpr
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "binary"; operator: string; left: Expr; right: Expr };

export type Condition =
  | { kind: "and" | "or"; left: Condition; right: Condition }
  | { kind: "not"; operand: Condition }
  | { kind: "compare"; operator: string; left: Expr; right: Expr }
  | { kind: "between"; subject: Expr; low: Expr; high: Expr }
  | { kind: "in"; subject: Expr; list: Expr[] }
  | { kind: "is"; subject: Expr; negated: boolean; what: "MISSING" | "NULL" }
  | { kind: "function"; call: { kind: "call"; name: string; args: Expr[] } };

export interface TableRef {
  table: string;
  index?: string;
}

export type Statement =
  | { kind: "select"; from: TableRef; projection: PathExpr[] | "*"; where?: Condition }
  | { kind: "insert"; into: TableRef; value: Expr }
  | {
      kind: "update";
      table: TableRef;
      actions: (
        { kind: "set"; path: PathExpr; value: Expr } | { kind: "remove"; path: PathExpr }
      )[];
      where?: Condition;
      returning?: string;
    }
  | { kind: "delete"; from: TableRef; where?: Condition; returning?: string };
