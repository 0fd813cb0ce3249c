import { tokenize } from "../partiql/lexer";
import type { CopyNeedles, Needle } from "./copy-needles";
import { CopyMatcher, copyRefused } from "./find-copy";

/** A name, a list index, or a note on where inside a text (a PartiQL literal's offset). */
type Step = string | number | { note: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A location as text: `TransactItems[1].Put.Item.gsi1pk`, `ExpressionAttributeValues[":v"]`. */
export function locationText(path: readonly Step[]): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (typeof step === "object") out += ` (${step.note})`;
    else if (IDENTIFIER.test(step)) out += out === "" ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

const NAME_NOTE = { note: "an attribute name" };

/**
 * A binary value's bytes as text (UTF-8, invalid bytes replaced), where text
 * a caller put in a binary attribute is found.
 */
function binaryText(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/**
 * Walks values the way they are sent (DynamoDB JSON) and throws
 * `plaintext.copied` at the first string or number text that contains a
 * needle. Values the library produced (ciphertexts, beacons) are skipped by
 * identity, so a needle can never be "found" by chance in a ciphertext's
 * base64 or a beacon's hex. Binary values are searched as UTF-8 text. The path is one
 * mutable stack, turned into text only on a hit.
 */
export class ValueSearch {
  private readonly path: Step[] = [];
  private readonly matcher: CopyMatcher;

  constructor(
    private readonly source: CopyNeedles,
    needles: readonly Needle[],
    start: readonly Step[] = [],
  ) {
    this.path.push(...start);
    this.matcher = new CopyMatcher(needles);
  }

  /** Searches one string; `step` names it below the current path. */
  text(text: string, step?: Step): void {
    const hit = this.matcher.find(text);
    if (!hit) return;
    if (step !== undefined) this.path.push(step);
    throw copyRefused(hit, locationText(this.path));
  }

  /** Descends into `node` under `step`. */
  at(step: Step, node: unknown, visit: (node: unknown) => void): void {
    this.path.push(step);
    visit(node);
    this.path.pop();
  }

  /** Steps into a member (pair with {@link leave}), for walkers that loop themselves. */
  enter(step: Step): void {
    this.path.push(step);
  }

  leave(): void {
    this.path.pop();
  }

  /** One AttributeValue. (Hot path: plain loops and one path stack, no closures.) */
  value = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    if (this.source.produced.has(value)) {
      const around = this.source.around.get(value);
      if (around) {
        this.text(around[0]);
        this.text(around[1]);
      }
      return;
    }
    const v = value as Record<string, unknown>;
    if (typeof v.S === "string") this.text(v.S);
    else if (typeof v.N === "string") this.text(v.N);
    else if (typeof v.M === "object" && v.M !== null && !Array.isArray(v.M))
      this.members(v.M as Record<string, unknown>, true);
    else if (Array.isArray(v.L)) {
      const path = this.path;
      for (let i = 0; i < v.L.length; i++) {
        path.push(i);
        this.value(v.L[i]);
        path.pop();
      }
    } else if (typeof v.B === "string") this.text(binaryText(v.B));
    else if (Array.isArray(v.SS) || Array.isArray(v.NS) || Array.isArray(v.BS)) {
      const list = (v.SS ?? v.NS ?? v.BS) as unknown[];
      const binary = Array.isArray(v.BS);
      for (let i = 0; i < list.length; i++)
        if (typeof list[i] === "string")
          this.text(binary ? binaryText(list[i] as string) : (list[i] as string), i);
    }
  };

  /** A map of top-level attribute names to AttributeValues: an item, a key, `ExpressionAttributeValues`. */
  item = (map: unknown): void => {
    if (typeof map !== "object" || map === null || Array.isArray(map)) return;
    this.members(map as Record<string, unknown>, false);
  };

  /**
   * The members of a map. Below the top level (a map value) the names are
   * searched too: a map keyed by the data (invitees by email) stores the
   * data in its names. Top-level attribute names are schema, fixed by the
   * model (`managerId` beside an encrypted `"Manager"` is no copy).
   */
  private members(m: Record<string, unknown>, searchNames: boolean): void {
    const path = this.path;
    for (const name in m) {
      if (!Object.prototype.hasOwnProperty.call(m, name)) continue;
      // A name that holds the copy is not named in the location: the location would show the plaintext.
      if (searchNames) this.text(name, NAME_NOTE);
      path.push(name);
      this.value(m[name]);
      path.pop();
    }
  }

  /**
   * `ExpressionAttributeNames` entries used below the top level of a path
   * (`#seen.#k`): names inside map values, searched as such names are.
   */
  names(map: unknown, nested: ReadonlySet<string>): void {
    if (typeof map !== "object" || map === null || Array.isArray(map)) return;
    for (const [placeholder, name] of Object.entries(map))
      if (typeof name === "string" && nested.has(placeholder)) this.text(name, placeholder);
  }

  /** A list of AttributeValues: PartiQL `Parameters`, a legacy condition's `AttributeValueList`. */
  list = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (let i = 0; i < list.length; i++) {
      this.path.push(i);
      this.value(list[i]);
      this.path.pop();
    }
  };

  /**
   * A PartiQL statement's literals: its 'strings' and numbers, and names
   * below the top level (a nested tuple's 'name':, a "name" after a `.`),
   * as map keys are searched in an item; not top-level attribute names.
   * Beacons the library wrote into the text are skipped. Text the lexer
   * refuses is searched whole.
   */
  statement = (text: unknown): void => {
    if (typeof text !== "string") return;
    let tokens;
    try {
      tokens = tokenize(text);
    } catch {
      this.text(text);
      return;
    }
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.text === "{" && token.kind === "op") depth++;
      else if (token.text === "}" && token.kind === "op") depth--;
      // A 'name': of the outer tuple and a "name" or name after no `.` are top-level attribute names: schema, as in an item.
      const topName = token.kind === "string" && tokens[i + 1]?.text === ":" && depth <= 1;
      const nestedName = token.kind === "quoted" && tokens[i - 1]?.text === ".";
      if (
        token.kind === "number" ||
        nestedName ||
        (token.kind === "string" && !topName && !this.source.producedText.has(token.text))
      )
        this.text(token.text, { note: `literal at character ${token.start}` });
    }
  };
}
