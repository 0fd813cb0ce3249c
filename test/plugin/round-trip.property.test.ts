import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { NumberValueImpl as NumberValue } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import { fieldEncryption } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { attributeValue, fieldSegments, pathText } from "../support/arbitraries";
import { usersConfig } from "../support/plugin-setup";

type Segment = { kind: "attr"; name: string } | { kind: "each" };

/** The value of the root attribute that holds `value` at `segments` (lists get two elements). */
function place(segments: Segment[], depth: number, value: unknown): any {
  if (depth === segments.length) return value;
  const s = segments[depth]!;
  return s.kind === "attr"
    ? { M: { [s.name]: place(segments, depth + 1, value) } }
    : { L: [place(segments, depth + 1, value), place(segments, depth + 1, value)] };
}

/** Every value at `segments` in a stored item. */
function leaves(root: any, segments: Segment[], depth: number): any[] {
  if (depth === segments.length) return [root];
  const s = segments[depth]!;
  return s.kind === "attr"
    ? leaves(root.M[s.name], segments, depth + 1)
    : root.L.flatMap((v: any) => leaves(v, segments, depth + 1));
}

describe("round trip over every attribute type and path shape (fast-check)", () => {
  it("stores every value at a configured path as ENC: and reads back the same type and value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fieldSegments.filter(
          (s) => s[0]!.kind === "attr" && !["pk", "sk"].includes((s[0] as { name: string }).name),
        ),
        attributeValue,
        async (segments, value) => {
          const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
          const client = fake.client();
          client.middlewareStack.use(
            fieldEncryption(usersConfig({}, { fields: { [pathText(segments)]: {} } })),
          );
          const root = (segments[0] as { name: string }).name;
          const item = {
            pk: { S: "p" },
            sk: { S: "s" },
            [root]: place(segments, 1, value),
          };
          const input = structuredClone(item);
          await client.send(new PutItemCommand({ TableName: "Users", Item: input }));
          expect(input).toEqual(item);
          const stored = fake.last("PutItem").body.Item;
          for (const leaf of leaves(stored[root], segments, 1)) expect(leaf.S).toMatch(/^ENC:/);
          const out = await client.send(
            new GetItemCommand({ TableName: "Users", Key: { pk: { S: "p" }, sk: { S: "s" } } }),
          );
          expect(out.Item).toEqual(item);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("keeps numbers exact through the Document client with wrapNumbers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }),
        fc.nat({ max: 999999 }),
        async (whole, fraction) => {
          const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
          const client = fake.client();
          client.middlewareStack.use(fieldEncryption(usersConfig({}, { fields: { balance: {} } })));
          const doc = DynamoDBDocumentClient.from(client, {
            unmarshallOptions: { wrapNumbers: true },
          });
          const text = `${whole}.${String(fraction).padStart(6, "0")}`;
          await doc.send(
            new PutCommand({
              TableName: "Users",
              Item: { pk: "p", sk: "s", balance: NumberValue.from(text) },
            }),
          );
          expect(fake.last().body.Item.balance.S).toMatch(/^ENC:/);
          const out = await doc.send(
            new GetCommand({ TableName: "Users", Key: { pk: "p", sk: "s" } }),
          );
          expect((out.Item!.balance as NumberValue).toString()).toBe(text);
        },
      ),
      { numRuns: 50 },
    );
  });
});
