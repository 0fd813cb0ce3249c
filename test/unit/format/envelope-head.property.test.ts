import fc from "fast-check";
import type { EncryptionError } from "../../../src";
import { envelopeHead, envelopeWithHead, type Envelope } from "../../../src/format/envelope";
import { parseStoredValue } from "../../../src/format/stored-value";

/**
 * The read path's fast path (decode only the tail of a value whose prefix
 * matches the previous value's data key) must agree with the general parser
 * on every text: the same envelope when it answers, and no answer or an error
 * whenever the general parser would refuse the text or find another key.
 */
const where = { table: "T", field: "f" };

function encode(wrapped: Uint8Array, rest: Uint8Array): string {
  const length =
    wrapped.length < 0xff ? [wrapped.length] : [0xff, wrapped.length >> 8, wrapped.length & 0xff];
  return `ENC:${Buffer.concat([Buffer.of(0xdf, ...length), wrapped, rest]).toString("base64")}`;
}

type General = { envelope: Envelope } | { error: string };

function general(text: string): General {
  try {
    const stored = parseStoredValue(text, where);
    return stored.format === "native" ? { envelope: stored.envelope } : { error: "other format" };
  } catch (error) {
    return { error: (error as EncryptionError).code };
  }
}

const sameEnvelope = (a: Envelope, b: Envelope) =>
  a.version === b.version &&
  a.wrapped.equals(b.wrapped) &&
  a.iv.equals(b.iv) &&
  a.body.equals(b.body) &&
  a.tag.equals(b.tag);

/** A text edited the ways an attacker or a bug might: a character changed, cut, added, or re-padded. */
const mutate = (text: string) =>
  fc.oneof(
    fc.constant(text),
    fc
      .tuple(fc.nat(text.length - 1), fc.constantFrom(..."AZaz09+/=-_ \n."))
      .map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    fc.nat(text.length).map((n) => text.slice(0, n)),
    fc.string({ maxLength: 6 }).map((extra) => text + extra),
    fc.constant(text.replace(/=+$/, "")),
  );

describe("envelopeWithHead agrees with the general parser", () => {
  it("on values under the same key, under other keys, and on edited texts", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 29, maxLength: 80 }),
        fc.uint8Array({ minLength: 29, maxLength: 80 }),
        fc.nat(2),
        fc.uint8Array({ minLength: 1, maxLength: 2 }),
        (wrapped, firstRest, rest, flipFromEnd, flip) => {
          const first = encode(wrapped, firstRest);
          const parsed = general(first);
          if (!("envelope" in parsed)) throw new Error("the first value must parse");
          const head = envelopeHead(first, parsed.envelope);
          const other = Uint8Array.from(wrapped);
          const at = Math.max(0, other.length - 1 - flipFromEnd);
          other[at] = other[at]! ^ (flip[0]! || 1);
          return fc.assert(
            fc.property(
              fc.oneof(mutate(encode(wrapped, rest)), mutate(encode(other, rest))),
              (text) => {
                const g = general(text);
                let fast: Envelope | undefined;
                try {
                  fast = envelopeWithHead(text, head, where);
                } catch (error) {
                  expect((error as EncryptionError).code).toBe("ciphertext.malformed");
                  expect(g).toEqual({ error: expect.stringMatching(/^ciphertext\./) as unknown });
                  return;
                }
                if (fast === undefined) {
                  if ("envelope" in g) expect(g.envelope.wrapped.equals(head.wrapped)).toBe(false);
                } else {
                  expect("envelope" in g && sameEnvelope(g.envelope, fast)).toBe(true);
                }
              },
            ),
            { numRuns: 20 },
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
