/**
 * Security review 1, differential: the plugin and DynamoDB must never read a
 * statement differently in a way that stores a configured field in plaintext.
 * Generated statements (comments, every Unicode space and line terminator
 * between tokens, odd quoting, literals where a field's map or list belongs,
 * extra and missing parameters) go to DynamoDB Local through the plugin. For
 * each, either the plugin refused it with nothing sent, or, read back with a
 * plain client, every configured field is ciphertext or absent and no secret
 * appears anywhere in the table.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  ExecuteStatementCommand,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { EncryptionError } from "../../src";
import { useEncryptedTable } from "../support/e2e-setup";
import { LINE_END_CANDIDATES, oddString, separators } from "../support/partiql-arbitraries";

const env = useEncryptedTable("partiql-diff", {
  ssn: {},
  "card.number": {},
  "addresses[].zip": {},
});

type Wire = AttributeValue;
const S = (v: string): Wire => ({ S: v });
/** Every value meant for a configured field holds this marker; it must never be stored readable. */
const SECRET = "secret-";

/** A token of a generated statement: its text, or a `?` with the parameter meant for it. */
type Piece = string | { param: Wire };
const param = (value: Wire): Piece => ({ param: value });

let sent = 0;
let serial = 0;
beforeAll(() => {
  // Counts requests that got past the plugin (the build step runs after serialize).
  env.app.client.middlewareStack.add(
    (next) => (args) => {
      sent++;
      return next(args);
    },
    { step: "build", name: "differentialSentCounter" },
  );
});

const SECRET_CARD: Wire = { M: { number: S(`${SECRET}card`), expiry: S("12/30") } };
const SECRET_ADDRESSES: Wire = { L: [{ M: { zip: S(`${SECRET}zip`), city: S("SF") } }] };

/** Tuple entries of an INSERT: configured fields as parameters or as literals of the wrong shape, and an unconfigured note. */
const insertEntry: fc.Arbitrary<Piece[]> = fc.oneof(
  fc.constant<Piece[]>([`'ssn'`, ":", param(S(`${SECRET}ssn`))]),
  fc.constant<Piece[]>([`'card'`, ":", param(SECRET_CARD)]),
  fc.constant<Piece[]>([`'addresses'`, ":", param(SECRET_ADDRESSES)]),
  fc.constant<Piece[]>([`'card'`, ":", `'${SECRET}card-literal'`]),
  fc.constant<Piece[]>([`'addresses'`, ":", "[", `'${SECRET}zip-literal'`, "]"]),
  fc.constant<Piece[]>([`'card'`, ":", "NULL"]),
  fc.constant<Piece[]>([`'note'`, ":", param(S("public-note"))]),
  oddString.map((literal): Piece[] => [`'note'`, ":", literal]),
);

/** SET actions of an UPDATE, on an item that exists with a note and an empty address list. */
const updateAction: fc.Arbitrary<Piece[]> = fc.oneof(
  fc.constant<Piece[]>(["ssn", "=", param(S(`${SECRET}ssn`))]),
  fc.constant<Piece[]>(["card", "=", param(SECRET_CARD)]),
  fc.constant<Piece[]>(["card", "=", `'${SECRET}card-literal'`]),
  fc.constant<Piece[]>([
    "addresses",
    "=",
    "list_append",
    "(",
    "addresses",
    ",",
    param({ L: SECRET_ADDRESSES.L }),
    ")",
  ]),
  fc.constant<Piece[]>([
    "addresses",
    "=",
    "list_append",
    "(",
    "addresses",
    ",",
    "[",
    `'${SECRET}zip-literal'`,
    "]",
    ")",
  ]),
  fc.constant<Piece[]>(["note", "=", param(S("public-note"))]),
  oddString.map((literal): Piece[] => ["note", "=", literal]),
);

/** The pieces of a statement, and for each comma-separated group after the first, the index of its comma and of its last piece. */
function layout(
  prefix: Piece[],
  groups: Piece[][],
  suffix: Piece[],
): { pieces: Piece[]; spans: [number, number][] } {
  const pieces = [...prefix];
  const spans: [number, number][] = [];
  groups.forEach((group, i) => {
    if (i > 0) pieces.push(",");
    const comma = pieces.length - 1;
    pieces.push(...group);
    if (i > 0) spans.push([comma, pieces.length - 1]);
  });
  return { pieces: [...pieces, ...suffix], spans };
}

interface Case {
  kind: "insert" | "update";
  pk: string;
  pieces: Piece[];
  separators: string[];
  /**
   * The bypass's shape, aimed at one group: a `--` comment just before its
   * comma, ended by `end`, and a line feed just after the group. DynamoDB ends
   * the comment at CR; a reader that ends it only at LF hides the group.
   */
  hide: { span: [number, number]; end: string } | null;
  /** Parameters given minus placeholders written: -1 drops the last, +1 adds a secret. */
  delta: -1 | 0 | 1;
}

const statementCase: fc.Arbitrary<Omit<Case, "pk">> = fc
  .oneof(
    fc
      .uniqueArray(insertEntry, { minLength: 1, maxLength: 4, selector: (e) => e[0] })
      .map((entries) => ({
        kind: "insert" as const,
        ...layout(
          ["INSERT", "INTO", "TABLE", "VALUE", "{"],
          [["'pk'", ":", "PK"], ["'sk'", ":", param(S("s"))], ...entries],
          ["}"],
        ),
      })),
    fc
      .uniqueArray(updateAction, { minLength: 1, maxLength: 3, selector: (a) => a[0] })
      .map((actions) => ({
        kind: "update" as const,
        ...layout(["UPDATE", "TABLE", "SET"], actions, [
          "WHERE",
          "pk",
          "=",
          "PK",
          "AND",
          "sk",
          "=",
          "'s'",
        ]),
      })),
  )
  .chain(({ kind, pieces, spans }) =>
    fc.record({
      kind: fc.constant(kind),
      pieces: fc.constant(pieces),
      separators: separators(pieces.length),
      hide:
        spans.length === 0
          ? fc.constant(null)
          : fc.oneof(
              { weight: 2, arbitrary: fc.constant(null) },
              {
                weight: 1,
                arbitrary: fc.record({
                  span: fc.constantFrom(...spans),
                  // Every candidate, the ASCII line ends more often.
                  end: fc.oneof(
                    fc.constantFrom("\r", "\r\n", "\n"),
                    fc.constantFrom(...LINE_END_CANDIDATES),
                  ),
                }),
              },
            ),
      delta: fc.constantFrom<-1 | 0 | 1>(0, 0, 0, 0, 0, 0, -1, 1),
    }),
  );

/** The statement text and its Parameters, as a caller would send them. */
function render(c: Case): { Statement: string; Parameters: Wire[] } {
  const gaps = [...c.separators];
  if (c.hide) {
    const [comma, last] = c.hide.span;
    gaps[comma - 1] = ` --${c.hide.end}`;
    // No line feed inside the group, so that only the chosen end can end the comment before it.
    for (let i = comma; i < last; i++) gaps[i] = " ";
    gaps[last] = `${gaps[last]!}\n`;
  }
  const Parameters: Wire[] = [];
  let Statement = "";
  c.pieces.forEach((piece, i) => {
    let text: string;
    if (piece === "TABLE") text = `"${env.table}"`;
    else if (piece === "PK") {
      text = "?";
      Parameters.push(S(c.pk));
    } else if (typeof piece === "string") text = piece;
    else {
      text = "?";
      Parameters.push(piece.param);
    }
    Statement += text + (i < c.pieces.length - 1 ? gaps[i]! : "");
  });
  if (c.delta === -1) Parameters.pop();
  if (c.delta === 1) Parameters.push(S(`${SECRET}extra`));
  return { Statement, Parameters };
}

/** Why an item's configured fields are not safely stored; empty when they are. */
function plaintextFields(item: Record<string, any>): string[] {
  const bad: string[] = [];
  const encrypted = (v: any) =>
    v === undefined || (typeof v.S === "string" && v.S.startsWith("ENC:"));
  const isNull = (v: any) => v?.NULL === true;
  if (!encrypted(item.ssn)) bad.push("ssn");
  if (item.card !== undefined && !isNull(item.card)) {
    if (!item.card.M) bad.push("card is not a map");
    else if (!encrypted(item.card.M.number)) bad.push("card.number");
  }
  if (item.addresses !== undefined && !isNull(item.addresses)) {
    if (!Array.isArray(item.addresses.L)) bad.push("addresses is not a list");
    else
      for (const element of item.addresses.L) {
        if (isNull(element)) continue;
        if (!element.M) bad.push("addresses[] is not a map");
        else if (!encrypted(element.M.zip)) bad.push("addresses[].zip");
      }
  }
  return bad;
}

async function expectNoPlaintext(): Promise<void> {
  const items: Record<string, any>[] = [];
  let ExclusiveStartKey: Record<string, Wire> | undefined;
  do {
    const page = await env.plain.send(new ScanCommand({ TableName: env.table, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  // Emptied after each check, so that each scan reads only what the last statement stored.
  for (const item of items)
    await env.plain.send(
      new DeleteItemCommand({ TableName: env.table, Key: { pk: item.pk!, sk: item.sk! } }),
    );
  for (const item of items)
    expect({ pk: item.pk, bad: plaintextFields(item) }).toEqual({ pk: item.pk, bad: [] });
  expect(JSON.stringify(items)).not.toContain(SECRET);
}

type Outcome = "refused" | "rejectedByDynamoDB" | "stored";

/** Sends one statement through the plugin and checks the property; returns what happened. */
async function check(
  kind: Case["kind"],
  pk: string,
  Statement: string,
  Parameters: Wire[],
): Promise<Outcome> {
  if (kind === "update") {
    await env.plain.send(
      new PutItemCommand({
        TableName: env.table,
        Item: { pk: S(pk), sk: S("s"), note: S("public-note"), addresses: { L: [] } },
      }),
    );
  }
  const before = sent;
  let outcome: Outcome;
  try {
    await env.app.client.send(
      new ExecuteStatementCommand({
        Statement,
        Parameters: Parameters.length > 0 ? Parameters : undefined,
      }),
    );
    outcome = "stored";
  } catch (error) {
    if (error instanceof EncryptionError) {
      expect(sent).toBe(before); // refused: nothing reached DynamoDB
      outcome = "refused";
    } else outcome = "rejectedByDynamoDB";
  }
  await expectNoPlaintext();
  return outcome;
}

describe("PartiQL differential test against DynamoDB Local", () => {
  it("the issue's INSERT with a -- comment ended by CR is refused and stores nothing", async () => {
    const pk = `issue-insert-${serial++}`;
    const outcome = await check(
      "insert",
      pk,
      `INSERT INTO "${env.table}" VALUE {'pk': ?, 'sk': ? --\r, 'ssn': ?\n}`,
      [S(pk), S("s"), S(`${SECRET}ssn`)],
    );
    expect(outcome).toBe("refused");
  });

  it("the issue's UPDATE with a -- comment ended by CR is refused and stores nothing", async () => {
    const pk = `issue-update-${serial++}`;
    const outcome = await check(
      "update",
      pk,
      `UPDATE "${env.table}" SET note = ? --\r, ssn = ?\n WHERE pk = ? AND sk = 's'`,
      [S("public-note"), S(`${SECRET}ssn`), S(pk)],
    );
    expect(outcome).toBe("refused");
  });

  it("generated statements are refused or store no configured field in plaintext", async () => {
    const seen: Record<Outcome, number> = { refused: 0, rejectedByDynamoDB: 0, stored: 0 };
    await fc.assert(
      fc.asyncProperty(statementCase, async (generated) => {
        const c: Case = { ...generated, pk: `gen-${serial++}` };
        const { Statement, Parameters } = render(c);
        seen[await check(c.kind, c.pk, Statement, Parameters)]++;
      }),
      { numRuns: 300 },
    );
    process.stdout.write(`PartiQL differential: ${JSON.stringify(seen)}\n`);
    // The property is only meaningful if both sides of it were exercised.
    expect(seen.refused).toBeGreaterThan(15);
    expect(seen.stored).toBeGreaterThan(15);
  }, 120_000);
});
