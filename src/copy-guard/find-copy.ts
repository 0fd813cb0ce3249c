import { EncryptionError } from "../errors/encryption-error";
import { fold, type Needle } from "./copy-needles";
import { NeedleAutomaton } from "./needle-automaton";

/** Up to this many needles, each is a substring search (V8's, fastest for few); beyond, one automaton scan. */
const LINEAR_LIMIT = 16;
/** The most UTF-16 units one unit becomes when case-folded (`ΐ` → `Ϊ́` → 3 units). */
const MAX_FOLD_GROWTH = 3;

const isDigit = (code: number) => code >= 48 && code <= 57;

/** An all-digit needle counts only where no digit stands beside it (a number inside a longer number is another number). */
function bounded(text: string, at: number, length: number): boolean {
  return !isDigit(text.charCodeAt(at - 1)) && !isDigit(text.charCodeAt(at + length));
}

/**
 * The search itself: the first needle found inside a text, ignoring case.
 * Each text is case-folded once. Few needles (the usual request: a handful
 * of encrypted values) are each a substring search, a bounded number per
 * text; many (an encrypted list of thousands of strings of any lengths) go
 * into one Aho–Corasick automaton, which scans each text once. Either way
 * the cost is linear in the text, never texts × needles.
 */
export class CopyMatcher {
  readonly shortest: number;
  private readonly automaton: NeedleAutomaton | undefined;

  constructor(private readonly needles: readonly Needle[]) {
    let shortest = Infinity;
    for (const n of needles) if (n.text.length < shortest) shortest = n.text.length;
    this.shortest = shortest;
    if (needles.length > LINEAR_LIMIT) this.automaton = new NeedleAutomaton(needles);
  }

  find(text: string): Needle | undefined {
    if (text.length * MAX_FOLD_GROWTH < this.shortest) return undefined;
    let ascii = true;
    for (let i = 0; i < text.length; i++)
      if (text.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    // ASCII text folds by lower-casing alone, and never grows.
    if (ascii && text.length < this.shortest) return undefined;
    const folded = ascii ? text.toLowerCase() : fold(text);
    if (this.automaton)
      return this.automaton.find(
        folded,
        (needle, at) => !needle.digits || bounded(folded, at, needle.text.length),
      );
    for (const needle of this.needles) {
      let at = folded.indexOf(needle.text);
      if (!needle.digits) {
        if (at >= 0) return needle;
        continue;
      }
      while (at >= 0) {
        if (bounded(folded, at, needle.text.length)) return needle;
        at = folded.indexOf(needle.text, at + 1);
      }
    }
    return undefined;
  }
}

/** {@link CopyMatcher} for one text: the first needle found in it, or undefined. Needles come from {@link CopyNeedles.add}. */
export function findCopy(needles: readonly Needle[], text: string): Needle | undefined {
  return new CopyMatcher(needles).find(text);
}

/** The refusal: names where the copy is and which field it copies, never the value. */
export function copyRefused(needle: Needle, attribute: string): EncryptionError {
  return new EncryptionError(
    "plaintext.copied",
    `${attribute} holds a copy of the encrypted field "${needle.field}" of ${needle.table} in plaintext (compared ignoring case and surrounding whitespace). Nothing was sent. Keep the field out of other attributes (an ORM's composite key, a denormalised copy, a condition on another attribute); for a lookup, give the field a beacon. If the copy is intended, the field's copyGuard: false switches this check off (unsafe).`,
    { table: needle.table, field: needle.field, attribute },
  );
}
