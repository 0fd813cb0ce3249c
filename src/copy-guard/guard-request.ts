import type { CopyNeedles, Needle } from "./copy-needles";
import { ValueSearch } from "./value-search";

/** Where a request body carries AttributeValues, and how each is shaped. */
type Shape = "item" | "items" | "list" | "conditions" | "statement";

const VALUE_MEMBERS = new Map<string, Shape>(
  Object.entries({
    Item: "item",
    Key: "item",
    ExclusiveStartKey: "item",
    ExpressionAttributeValues: "item",
    Keys: "items",
    Parameters: "list",
    Statement: "statement",
    // Legacy parameters: per attribute, a `Value` and/or an `AttributeValueList`.
    AttributeUpdates: "conditions",
    Expected: "conditions",
    ScanFilter: "conditions",
    QueryFilter: "conditions",
    KeyConditions: "conditions",
  } satisfies Record<string, Shape>),
);

function walkShape(search: ValueSearch, shape: Shape, node: unknown): void {
  switch (shape) {
    case "item":
      return search.item(node);
    case "items":
      if (Array.isArray(node))
        for (let i = 0; i < node.length; i++) search.at(i, node[i], search.item);
      return;
    case "list":
      return search.list(node);
    case "statement":
      return search.statement(node);
    case "conditions":
      if (typeof node !== "object" || node === null) return;
      for (const [name, entry] of Object.entries(node)) {
        if (typeof entry !== "object" || entry === null) continue;
        const { Value, AttributeValueList } = entry as Record<string, unknown>;
        search.at(name, entry, () => {
          search.at("Value", Value, search.value);
          search.at("AttributeValueList", AttributeValueList, search.list);
        });
      }
  }
}

const EXPRESSIONS = [
  "UpdateExpression",
  "ConditionExpression",
  "FilterExpression",
  "KeyConditionExpression",
  "ProjectionExpression",
];
const NESTED_PLACEHOLDER = /\.\s*(#[A-Za-z0-9_]+)/g;

/** The `#name` placeholders a scope's expressions use after a `.`: names of map members, not top-level attributes. */
function nestedPlaceholders(scope: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const prop of EXPRESSIONS) {
    const text = scope[prop];
    if (typeof text === "string") for (const m of text.matchAll(NESTED_PLACEHOLDER)) out.add(m[1]!);
  }
  return out;
}

/** The members of `RequestItems` are table names, whatever they are called: each holds structure, never a value shape. */
function walkTables(search: ValueSearch, node: unknown): void {
  if (typeof node !== "object" || node === null) return;
  const tables = node as Record<string, unknown>;
  for (const table in tables) {
    search.enter(table);
    walkStructure(search, tables[table]);
    search.leave();
  }
}

function walkStructure(search: ValueSearch, node: unknown): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      search.enter(i);
      walkStructure(search, node[i]);
      search.leave();
    }
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const members = node as Record<string, unknown>;
  for (const member in members) {
    const child = members[member];
    if (typeof child !== "object" && member !== "Statement") continue;
    search.enter(member);
    if (member === "RequestItems") walkTables(search, child);
    else if (member === "ExpressionAttributeNames")
      search.names(child, nestedPlaceholders(members));
    else {
      const shape = VALUE_MEMBERS.get(member);
      if (shape) walkShape(search, shape, child);
      else walkStructure(search, child);
    }
    search.leave();
  }
}

/**
 * The copy guard on a whole request, run on the final body (after
 * encryption and beacon rewrites, just before it is sent), so that one walk
 * covers every operation: every AttributeValue the request carries (items,
 * keys, `ExpressionAttributeValues`, `ExclusiveStartKey`, legacy `Expected`,
 * `AttributeUpdates` and filters, PartiQL `Parameters` and statement
 * literals), and the names of map members below the top level (map keys,
 * `ExpressionAttributeNames` used after a `.`), of every table the request
 * names, is searched for the plaintext of every value the request encrypts
 * or looks up by beacon. Top-level attribute names and expression text are
 * not searched: they are the model's schema. `RequestItems` is walked as table names, so a table called `Item`
 * is no value shape. Throws
 * `plaintext.copied` at the first hit; does nothing when no value is guarded.
 */
export function guardRequest(needles: CopyNeedles, body: Record<string, unknown>): void {
  if (needles.needles.length === 0) return;
  walkStructure(new ValueSearch(needles, needles.needles), body);
}

/**
 * The copy guard on items outside a request (the item API, imports): each
 * item is searched for the plaintexts of its own encrypted values. Names the
 * attribute path within the item.
 */
export function guardItems(needles: CopyNeedles, items: readonly object[]): void {
  if (needles.needles.length === 0) return;
  // Needles grouped by item once: filtering them per item made a batch cost items × needles (an import batch is 500 items).
  const byOwner = new Map<object | undefined, Needle[]>();
  for (const needle of needles.needles) {
    const list = byOwner.get(needle.owner);
    if (list) list.push(needle);
    else byOwner.set(needle.owner, [needle]);
  }
  const shared = byOwner.get(undefined) ?? [];
  for (const item of items) {
    const own = byOwner.get(item);
    const search = own ? (shared.length > 0 ? [...own, ...shared] : own) : shared;
    if (search.length > 0) new ValueSearch(needles, search).item(item);
  }
}
