/** A name step of a document path: a bare attribute name or a `#placeholder`. */
export type NameRef = { kind: "name"; text: string } | { kind: "placeholder"; text: string };

/** A document path as written: names and list indexes. */
export interface PathNode {
  kind: "path";
  steps: (NameRef | { kind: "index"; index: number })[];
}

/** A `:value` placeholder, with its position in the expression text so it can be renamed. */
export interface ValueNode {
  kind: "value";
  name: string;
  start: number;
  end: number;
}

/** A function call: `if_not_exists`, `list_append`, `size`, `attribute_exists`, … */
export interface CallNode {
  kind: "call";
  name: string;
  args: OperandNode[];
}

/** `a + b` or `a - b` in a SET action. */
export interface ArithmeticNode {
  kind: "arithmetic";
  operator: "+" | "-";
  left: OperandNode;
  right: OperandNode;
}

export type OperandNode = PathNode | ValueNode | CallNode | ArithmeticNode;

export type ConditionNode =
  | { kind: "and" | "or"; left: ConditionNode; right: ConditionNode }
  | { kind: "not"; operand: ConditionNode }
  | {
      kind: "compare";
      operator: "=" | "<>" | "<" | "<=" | ">" | ">=";
      left: OperandNode;
      right: OperandNode;
    }
  | { kind: "between"; subject: OperandNode; low: OperandNode; high: OperandNode }
  | { kind: "in"; subject: OperandNode; list: OperandNode[] }
  | { kind: "function"; call: CallNode };

export type UpdateAction =
  | { kind: "SET"; path: PathNode; value: OperandNode }
  | { kind: "REMOVE"; path: PathNode }
  | { kind: "ADD" | "DELETE"; path: PathNode; value: OperandNode };

export interface UpdateNode {
  actions: UpdateAction[];
}
