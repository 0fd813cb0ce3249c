import { PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { EncryptionError } from "../../src";
import { setup, usersConfig } from "../support/plugin-setup";

/**
 * The plaintext's alphabet and the rest's are disjoint even ignoring case
 * (a-m, 0-4, @ . against n-z, N-Z, 5-9 and separators), so an item built
 * only from the second truly cannot contain a needle.
 */
const SECRET_CHARS = "abcdefghijklm01234@.".split("");
const OTHER_CHARS = "nopqrstuvwxyzNOPQRSTUVWXYZ56789#_$|:-".split("");

const secretText = fc
  .array(fc.constantFrom(...SECRET_CHARS), { minLength: 6, maxLength: 24 })
  .map((c) => c.join(""));
const secretDigits = fc
  .tuple(
    fc.constantFrom("1", "2", "3", "4"),
    fc.array(fc.constantFrom("0", "1", "2", "3", "4"), { minLength: 5, maxLength: 12 }),
  )
  .map(([first, rest]) => first + rest.join(""));
const otherText = fc
  .array(fc.constantFrom(...OTHER_CHARS), { maxLength: 12 })
  .map((c) => c.join(""));
/** Each character upper-cased where the mask says so. */
const withCase = (text: string, upper: readonly boolean[]) =>
  [...text].map((ch, i) => (upper[i % upper.length] ? ch.toUpperCase() : ch)).join("");
const caseMask = fc.array(fc.boolean(), { minLength: 1, maxLength: 24 });
const separator = fc.constantFrom("", "#", "_", "$", "|", ":", "-");

/** The encrypted value, by field: a top-level string, a string inside a map, a number. */
const secret = fc.oneof(
  secretText.map((text) => ({ field: "ssn", text, set: (item: any) => (item.ssn = text) })),
  secretText.map((text) => ({
    field: "card.number",
    text,
    set: (item: any) => (item.card = { number: text }),
  })),
  secretDigits.map((text) => ({
    field: "pin",
    text,
    set: (item: any) => (item.pin = Number(text)),
  })),
);

/** Where a string is put in the item: a key, a GSI key, a nested map, a list element, a string set. */
const PLACES = ["sk", "gsi1pk", "meta.note", "history[]", "tags<>"] as const;
function place(item: any, where: (typeof PLACES)[number], text: string): void {
  if (where === "meta.note") item.meta = { ...item.meta, note: text };
  else if (where === "history[]") item.history = [...(item.history ?? []), text];
  else if (where === "tags<>") item.tags = new Set([...(item.tags ?? []), text]);
  else item[where] = text;
}

/** Unrelated strings in every place, none able to hold a needle. */
const others = fc.array(fc.tuple(fc.constantFrom(...PLACES), otherText), { maxLength: 8 });

const config = () => usersConfig({}, { fields: { ssn: {}, "card.number": {}, pin: {} } });

function baseItem(rest: [(typeof PLACES)[number], string][]): any {
  const item: any = { pk: "user#1", sk: "profile#" };
  for (const [where, text] of rest) place(item, where, where === "sk" ? `profile#${text}` : text);
  return item;
}

describe("copy guard, for any item", () => {
  it("an unencrypted value that embeds an encrypted value (any offset, any case, inside a composite) is refused, nothing sent", async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        caseMask,
        fc.constantFrom(...PLACES),
        otherText,
        separator,
        otherText,
        others,
        async (s, mask, where, before, sep, after, rest) => {
          const item = baseItem(rest);
          s.set(item);
          // A number counts as copied only where no digit stands beside it.
          const around = s.field === "pin" && sep === "" ? "#" : sep;
          place(item, where, `${before}${around}${withCase(s.text, mask)}${around}${after}`);
          const { fake, doc } = setup(config());
          const error = await doc.send(new PutCommand({ TableName: "Users", Item: item })).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(EncryptionError.is(error, "plaintext.copied")).toBe(true);
          expect((error as EncryptionError).field).toBe(s.field);
          expect(fake.requests).toHaveLength(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("an item whose other values hold no copy, near misses included, is never refused", async () => {
    const anyText = fc
      .array(fc.constantFrom(...SECRET_CHARS, ...OTHER_CHARS), { maxLength: 12 })
      .map((c) => c.join(""));
    const anyOthers = fc.array(fc.tuple(fc.constantFrom(...PLACES), anyText), { maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(
        secret,
        anyOthers,
        fc.constantFrom(...PLACES),
        fc.nat(),
        async (s, rest, where, k) => {
          const needle = s.text.toLowerCase();
          const at = k % s.text.length;
          // Near misses: the value cut short at either end, one character changed, and for a number, inside a longer number.
          const near = [
            s.text.slice(0, -1),
            s.text.slice(1),
            `${s.text.slice(0, at)}z${s.text.slice(at + 1)}`,
            ...(s.field === "pin" ? [`9${s.text}`, `${s.text}0`] : []),
          ];
          const copied = (text: string) => {
            const t = text.toLowerCase();
            if (s.field !== "pin") return t.includes(needle);
            for (let i = t.indexOf(needle); i >= 0; i = t.indexOf(needle, i + 1))
              if (!/[0-9]/.test(t[i - 1] ?? "") && !/[0-9]/.test(t[i + needle.length] ?? ""))
                return true;
            return false;
          };
          const texts = [...rest.map(([w, t]) => (w === "sk" ? `profile#${t}` : t)), ...near];
          fc.pre(!texts.some(copied));
          const item = baseItem(rest);
          s.set(item);
          near.forEach((text, i) => {
            item[`near${i}`] = text;
            if (where !== "sk") place(item, where, text);
          });
          const { fake, doc } = setup(config());
          await doc.send(new PutCommand({ TableName: "Users", Item: item }));
          expect(fake.requests).toHaveLength(1);
        },
      ),
      { numRuns: 150 },
    );
  });
});
