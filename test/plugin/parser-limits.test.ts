/**
 * Security review 8, parser depth and length: expressions and PartiQL
 * statements nested 10,000 deep used to throw RangeError (a stack overflow)
 * out of the plugin; now every one is `expression.tooComplex` with nothing
 * sent, and anything within the limits is analysed as before.
 */
import { ExecuteStatementCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { EncryptionError } from "../../src";
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from "../../src/expressions/parser";
import { MAX_STATEMENT_DEPTH } from "../../src/partiql/parser";
import { expectRefused } from "../support/refused";
import { SAMPLE, setup } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };
const parens = (depth: number, inner: string) => `${"(".repeat(depth)}${inner}${")".repeat(depth)}`;

/** The four places the plugin parses text, each with an input nested `depth` deep. */
const SENDERS: [
  string,
  (depth: number) => { send: (ctx: ReturnType<typeof setup>) => Promise<unknown> },
][] = [
  [
    "a ConditionExpression (parentheses)",
    (depth) => ({
      send: ({ doc }) =>
        doc.send(
          new PutCommand({
            TableName: "Users",
            Item: SAMPLE,
            ConditionExpression: parens(depth, "attribute_not_exists(pk)"),
          }),
        ),
    }),
  ],
  [
    "a FilterExpression (NOT)",
    (depth) => ({
      send: ({ doc }) =>
        doc.send(
          new ScanCommand({
            TableName: "Users",
            FilterExpression: `${"NOT ".repeat(depth)}attribute_exists(ssn)`,
          }),
        ),
    }),
  ],
  [
    "an UpdateExpression (nested function calls)",
    (depth) => ({
      send: ({ doc }) =>
        doc.send(
          new UpdateCommand({
            TableName: "Users",
            Key: KEY,
            UpdateExpression: `SET n = ${"if_not_exists(n, ".repeat(depth)}:v${")".repeat(depth)}`,
            ExpressionAttributeValues: { ":v": 1 },
          }),
        ),
    }),
  ],
  [
    "a ProjectionExpression (path steps)",
    (depth) => ({
      send: ({ doc }) =>
        doc.send(
          new GetCommand({
            TableName: "Users",
            Key: KEY,
            ProjectionExpression: `pk, sk, ${Array.from({ length: depth }, () => "a").join(".")}`,
          }),
        ),
    }),
  ],
  [
    "a PartiQL statement (parentheses)",
    (depth) => ({
      send: ({ client }) =>
        client.send(
          new ExecuteStatementCommand({
            Statement: `SELECT * FROM Users WHERE ${parens(depth, "pk = 'u'")}`,
          }),
        ),
    }),
  ],
  [
    "a PartiQL statement (nested lists)",
    (depth) => ({
      send: ({ client }) =>
        client.send(
          new ExecuteStatementCommand({
            Statement: `INSERT INTO Users VALUE {'pk': 'u', 'sk': 's', 'n': ${"[".repeat(depth)}1${"]".repeat(depth)}}`,
          }),
        ),
    }),
  ],
];

describe("parser depth and length limits", () => {
  it.each(SENDERS)(
    "%s nested 10,000 deep is refused with expression.tooComplex, not RangeError, and nothing is sent",
    async (_, build) => {
      const ctx = setup();
      const error = await expectRefused(build(10_000).send(ctx), ctx.fake, "expression.tooComplex");
      expect(error.message).toContain("Nothing was sent.");
    },
  );

  it.each(SENDERS)(
    "%s just over the depth limit is refused; just under it is sent",
    async (_, build) => {
      const over = setup();
      await expectRefused(
        build(Math.max(MAX_EXPRESSION_DEPTH, MAX_STATEMENT_DEPTH) + 1).send(over),
        over.fake,
        "expression.tooComplex",
      );
      const under = setup();
      const outcome = await build(Math.min(MAX_EXPRESSION_DEPTH, MAX_STATEMENT_DEPTH) - 2)
        .send(under)
        .then(
          () => "answered",
          (e: unknown) => e,
        );
      // The fake may answer with a DynamoDB error; the plugin must not have refused.
      expect(outcome).not.toBeInstanceOf(EncryptionError);
      expect(under.fake.requests).toHaveLength(1);
    },
  );

  it("an expression longer than the limit is refused; DynamoDB's own 4 KB limit is well inside it", async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`).join(", ");
    const long = setup();
    await expectRefused(
      long.doc.send(
        new GetCommand({ TableName: "Users", Key: KEY, ProjectionExpression: names(2_000) }),
      ),
      long.fake,
      "expression.tooComplex",
    );
    expect(names(2_000).length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    const fine = setup();
    const projection = names(800);
    expect(projection.length).toBeGreaterThan(4_096);
    await fine.doc.send(
      new GetCommand({ TableName: "Users", Key: KEY, ProjectionExpression: projection }),
    );
    expect(fine.fake.requests).toHaveLength(1);
  });
});
