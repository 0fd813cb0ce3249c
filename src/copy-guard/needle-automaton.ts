import type { Needle } from "./copy-needles";

interface State {
  next: Map<number, State>;
  fail: State | undefined;
  /** The needles that end here. */
  ends: Needle[];
  /** The nearest state on the fail chain where some needle ends (dictionary link). */
  dict: State | undefined;
  depth: number;
}

const state = (depth: number): State => ({
  next: new Map(),
  fail: undefined,
  ends: [],
  dict: undefined,
  depth,
});

/**
 * An Aho–Corasick automaton over case-folded needles (UTF-16 code units):
 * each text is scanned once, whatever the number or lengths of the needles,
 * so the search costs the text's length plus the matches it checks, never
 * texts × needles or texts × distinct lengths. Built once per request.
 */
export class NeedleAutomaton {
  private readonly root = state(0);

  constructor(needles: readonly Needle[]) {
    for (const needle of needles) {
      let at = this.root;
      for (let i = 0; i < needle.text.length; i++) {
        const code = needle.text.charCodeAt(i);
        let to = at.next.get(code);
        if (!to) at.next.set(code, (to = state(at.depth + 1)));
        at = to;
      }
      at.ends.push(needle);
    }
    // Breadth first: each state's fail link is the longest proper suffix that is a prefix of some needle.
    const queue: State[] = [];
    for (const child of this.root.next.values()) {
      child.fail = this.root;
      queue.push(child);
    }
    for (let q = 0; q < queue.length; q++) {
      const at = queue[q]!;
      for (const [code, child] of at.next) {
        let f = at.fail;
        while (f && !f.next.has(code)) f = f.fail;
        child.fail = f ? f.next.get(code)! : this.root;
        child.dict = child.fail.ends.length > 0 ? child.fail : child.fail.dict;
        queue.push(child);
      }
    }
  }

  /** The first needle found in `folded` that `accept` takes (given where it starts), or undefined. */
  find(folded: string, accept: (needle: Needle, start: number) => boolean): Needle | undefined {
    let at = this.root;
    for (let i = 0; i < folded.length; i++) {
      const code = folded.charCodeAt(i);
      while (at !== this.root && !at.next.has(code)) at = at.fail!;
      at = at.next.get(code) ?? this.root;
      for (let hit: State | undefined = at.ends.length > 0 ? at : at.dict; hit; hit = hit.dict)
        for (const needle of hit.ends) if (accept(needle, i + 1 - hit.depth)) return needle;
    }
    return undefined;
  }
}
