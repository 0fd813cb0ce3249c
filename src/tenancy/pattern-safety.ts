import { isSafe } from "redos-detector";
import { fail } from "../config/config-failure";

/**
 * How far the check explores a pattern. A pattern that needs more steps to
 * prove is refused: patterns that choose a tenant are short, and a simple one
 * proves in well under a thousand steps (a few milliseconds, once per config).
 */
const MAX_STEPS = 2_000;

/**
 * Refuses a pattern that can backtrack more than a bounded number of ways
 * (`redos-detector`'s default score, 200, per input), so that no attribute
 * value, however crafted, makes matching it slow: `^(?:[a-z]+)*#([a-z]+)#`
 * takes exponential time on a long run of letters without a `#`, and the
 * 2,048-character bound on values does not help with that. A pattern the
 * checker cannot prove within its step budget is refused too (fail closed).
 *
 * Why `redos-detector`: it is pure JavaScript with one dependency
 * (`regjsparser`, which reads the `u` flag and `\p{…}`), synchronous and
 * deterministic (a step budget, no clock), and it finds ambiguity itself,
 * not only nested quantifiers. `safe-regex2` only measures star height, so
 * it passes `^(a|a)*b`; `recheck` is the most thorough, but its sync API runs
 * a worker thread, its JavaScript fallback takes seconds, and its fast path
 * is a per-platform binary, all heavy for a check in every config load.
 */
export function checkBacktracking(pattern: RegExp, where: string): void {
  let failure = verdicts.get(pattern.source);
  if (failure === undefined) {
    failure = backtrackingFailure(pattern);
    if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
    verdicts.set(pattern.source, failure);
  }
  if (failure !== "") fail(where, failure);
}

/**
 * Verdicts by pattern source (the flags are always `u`): "" for a safe
 * pattern, else why it is refused. A config repeats a table's pattern for
 * each of its fields and sources, and a check can take a few hundred
 * milliseconds, so each distinct pattern is checked once per process.
 */
const verdicts = new Map<string, string>();
const MAX_VERDICTS = 1_000;

function backtrackingFailure(pattern: RegExp): string {
  let result: ReturnType<typeof isSafe>;
  try {
    result = isSafe(pattern, { maxSteps: MAX_STEPS, downgradePattern: true });
  } catch {
    // Syntax the engine accepts but the checker cannot read (such as (?i:…) modifiers on newer Node) is refused: unproven is unsafe.
    return "uses syntax the backtracking check cannot read (such as (?i:…) modifiers); rewrite it without";
  }
  if (result.safe) return "";
  return result.error === "hitMaxSteps"
    ? "could not be proven free of catastrophic backtracking; simplify it (a fixed prefix and one group of a character class, such as ^tenant#([^#]+)#, always can be)"
    : "can backtrack catastrophically (a nested or ambiguous repetition, such as (?:[a-z]+)*): an attribute value could make matching it take seconds; rewrite it so each character can be matched only one way, such as ^tenant#([^#]+)#";
}
