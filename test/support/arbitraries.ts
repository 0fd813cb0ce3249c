import fc from "fast-check";

/** A DynamoDB number as text, in the spellings users send (integers, decimals, exponents, signs). */
export const numberText = fc.oneof(
  fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map(String),
  fc
    .tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat({ max: 99999 }))
    .map(([a, b]) => `${a}.${String(b).padStart(5, "0")}`),
  fc
    .tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: -20, max: 20 }))
    .map(([a, e]) => `${a}E${e}`),
);

const bytes = fc.uint8Array({ maxLength: 24 });
const text = fc.string({ maxLength: 16, unit: "binary" }).filter((s) => !/[\uD800-\uDFFF]/.test(s));

/** Any DynamoDB AttributeValue as the low-level client takes it (B as bytes), nested maps and lists included. */
export const attributeValue: fc.Arbitrary<any> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text.map((S) => ({ S })),
    numberText.map((N) => ({ N })),
    bytes.map((B) => ({ B })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    fc.uniqueArray(text, { minLength: 1, maxLength: 4 }).map((SS) => ({ SS })),
    fc.uniqueArray(numberText, { minLength: 1, maxLength: 4 }).map((NS) => ({ NS })),
    fc
      .uniqueArray(bytes, {
        minLength: 1,
        maxLength: 3,
        selector: (b) => Buffer.from(b).toString("hex"),
      })
      .map((BS) => ({ BS })),
    fc.dictionary(text, tie("value"), { maxKeys: 3 }).map((M) => ({ M })),
    fc.array(tie("value"), { maxLength: 3 }).map((L) => ({ L })),
  ),
})).value;

/** An attribute name, including the characters a field path must escape and unicode. */
export const attributeName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 6, unit: "grapheme" }),
  fc.constantFrom("a.b", "x[0]", "]", "\\", "[]", "ñandú", "名前", "emoji🙂", "dot.", ".lead"),
);

/** A field path as segments: a top-level name, then names and `each` steps. */
export const fieldSegments = fc
  .tuple(
    attributeName,
    fc.array(
      fc.oneof(
        attributeName.map((name) => ({ kind: "attr" as const, name })),
        fc.constant({ kind: "each" as const }),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([first, rest]) => [{ kind: "attr" as const, name: first }, ...rest]);

/** The config spelling of a path: names escaped, `.` between names, `[]` for each. */
export function pathText(segments: { kind: "attr" | "each"; name?: string }[]): string {
  return segments
    .map((s, i) =>
      s.kind === "each"
        ? "[]"
        : `${i === 0 ? "" : "."}${s.name!.replace(/[\\.[\]]/g, (c) => `\\${c}`)}`,
    )
    .join("");
}
