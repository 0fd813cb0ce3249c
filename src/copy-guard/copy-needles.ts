import type { ResolvedField, ResolvedTable } from "../config/resolved-config";

const DIGITS = /^[0-9]+$/;

/**
 * Case folding for comparison: upper then lower case, so that `ß` and `SS`,
 * `ſ` and `s`, `ı` and `I` compare equal as well as `A` and `a`; the capital
 * `ẞ`, which upper-casing keeps, becomes `ss` as well. Locale rules (Turkish
 * dotted and dotless i) are not applied.
 */
export function fold(text: string): string {
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 127) return text.toUpperCase().toLowerCase().replaceAll("ß", "ss");
  // ASCII folds by lower-casing alone.
  return text.toLowerCase();
}

/** One plaintext to search for: trimmed and case-folded, with the field it belongs to. */
export interface Needle {
  readonly text: string;
  /**
   * The text of a number (N, NS), all digits: found only where no digit
   * stands beside it, so that an encrypted `100000` is not "found" in an
   * unrelated `1000000` or a timestamp, while `"pin-987654321"` still is.
   * A string of digits (a phone number, an SSN without dashes) is found
   * anywhere: `"+15551234567"` holds `"5551234567"`.
   */
  readonly digits: boolean;
  readonly table: string;
  readonly field: string;
  /** The item it came from (item API, import, migration), to search only that item; absent for a request's values. */
  readonly owner: object | undefined;
}

/**
 * What the copy guard needs from the encryption of one request or batch:
 * the plaintexts of the values encrypted and of the beacons computed (the
 * needles), and the values the library itself produced in their place
 * (ciphertexts, beacons, a WriteOnly client's written-back ciphertexts),
 * which are exactly what the search skips. The needles are collected before
 * the values are encrypted in place, the search runs on the final request.
 */
export class CopyNeedles {
  readonly needles: Needle[] = [];
  /** Wire values the library produced, skipped by identity: never the caller's objects. */
  readonly produced = new Set<unknown>();
  /** Beacons written into PartiQL statement text as literals, skipped by value. */
  readonly producedText = new Set<string>();
  /**
   * Produced values that embed a beacon in the caller's text (a composite
   * key): only the beacon is the library's, so the text before and after it
   * is still searched, each part on its own so that no needle straddles the
   * beacon.
   */
  readonly around = new Map<object, readonly [string, string]>();

  /**
   * Adds the string and number leaves of a value about to be encrypted (or
   * looked up by its beacon); a number as its text is sent. Binary values
   * give no needle: their bytes are not text. Each needle is trimmed and case-folded, which covers every beacon
   * normalisation and the exact text: the trimmed text is a part of the
   * untrimmed one. Identical needles of one field are kept once.
   */
  add(table: ResolvedTable, field: ResolvedField, value: unknown, owner?: object): void {
    const guard = field.copyGuard;
    if (guard === false) return;
    const push = (text: string, number: boolean) => {
      const needle = fold(text.trim());
      if (utf8Length(needle, guard.minLength) < guard.minLength) return;
      if (this.has(owner, field.path, needle)) return;
      this.needles.push({
        text: needle,
        digits: number && DIGITS.test(needle),
        table: table.name,
        field: field.path,
        owner,
      });
    };
    this.leaves(value, push);
  }

  /** Needles by owner, field and text, once there are many; few are compared one by one. */
  private index: Set<string> | undefined;
  private readonly owners = new Map<object | undefined, number>();

  /** Whether this needle is there already (a Put's field and its beacon give the same one). */
  private has(owner: object | undefined, field: string, text: string): boolean {
    const list = this.needles;
    if (list.length < 32) {
      for (const n of list)
        if (n.text === text && n.field === field && n.owner === owner) return true;
      return false;
    }
    if (!this.index) {
      this.index = new Set();
      for (const n of list) this.index.add(this.id(n.owner, n.field, n.text));
    }
    const id = this.id(owner, field, text);
    if (this.index.has(id)) return true;
    this.index.add(id);
    return false;
  }

  private id(owner: object | undefined, field: string, text: string): string {
    let o = this.owners.get(owner);
    if (o === undefined) this.owners.set(owner, (o = this.owners.size));
    return `${o}\u0000${field}\u0000${text}`;
  }

  private leaves(value: unknown, visit: (text: string, number: boolean) => void): void {
    if (typeof value !== "object" || value === null) return;
    const v = value as Record<string, unknown>;
    if (typeof v.S === "string") visit(v.S, false);
    else if (typeof v.N === "string") visit(v.N, true);
    else if (Array.isArray(v.SS) || Array.isArray(v.NS)) {
      const number = Array.isArray(v.NS);
      for (const s of (v.SS ?? v.NS) as unknown[]) if (typeof s === "string") visit(s, number);
    } else if (Array.isArray(v.L)) {
      for (const e of v.L) this.leaves(e, visit);
    } else if (typeof v.M === "object" && v.M !== null) {
      for (const e of Object.values(v.M)) this.leaves(e, visit);
    }
  }

  /**
   * A wire value the library produced (a ciphertext, a beacon), which the
   * search skips; with `around`, a composite whose surrounding text is the
   * caller's and is searched.
   */
  skip(value: unknown, around?: readonly [string, string]): void {
    if (typeof value !== "object" || value === null) return;
    this.produced.add(value);
    if (around) this.around.set(value, around);
  }
}

/**
 * A needle's length as `minLength` counts it: UTF-8 bytes, so that a 4-character
 * CJK name (12 bytes), which says far more than 4 Latin letters, is searched at
 * the default of 6. The same as the character count for ASCII text, which is
 * the common case and needs no count once it is long enough.
 */
function utf8Length(text: string, enough: number): number {
  return text.length >= enough ? text.length : Buffer.byteLength(text, "utf8");
}
