import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { EncryptionError } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

const encrypted = uniqueTableName("prop-enc");
const oracle = uniqueTableName("prop-plain");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let plainDoc: DynamoDBDocumentClient;
let app: PluginClients;

const INITIAL = {
  sk: "v",
  name: "Ada",
  ssn: "111-11-1111",
  card: { number: "4000", expiry: "01/29" },
  addresses: [{ zip: "11111", city: "A" }],
  counter: 1,
};

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  plainDoc = DynamoDBDocumentClient.from(plain);
  await createTable(plain, encrypted, { partitionKey: "pk", sortKey: "sk" });
  await createTable(plain, oracle, { partitionKey: "pk", sortKey: "sk" });
  app = pluginClients(kms, {
    keyId: "alias/app-data",
    tables: {
      [encrypted]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: {}, "card.number": {}, "addresses[].zip": {} },
      },
    },
  });
});

afterAll(async () => {
  app.destroy();
  await deleteTable(plain, encrypted);
  await deleteTable(plain, oracle);
  plain.destroy();
  await kms.stop();
});

type Action = { clause: "SET" | "REMOVE" | "ADD"; text: string; values: Record<string, unknown> };

const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const n = fc.integer({ min: 1, max: 9 });
/** Actions on one root attribute each, over encrypted and plain paths, safe and unsafe forms alike. */
const actionsFor: Record<string, (i: number) => fc.Arbitrary<Action>> = {
  ssn: (i) =>
    fc.oneof(
      word.map((v) => ({
        clause: "SET" as const,
        text: `ssn = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      word.map((v) => ({
        clause: "SET" as const,
        text: `ssn = if_not_exists(ssn, :a${i})`,
        values: { [`:a${i}`]: v },
      })),
      n.map((v) => ({
        clause: "SET" as const,
        text: `ssn = ssn + :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      n.map((v) => ({ clause: "ADD" as const, text: `ssn :a${i}`, values: { [`:a${i}`]: v } })),
      fc.constant({ clause: "SET" as const, text: `ssn = #nm`, values: {} }),
      fc.constant({ clause: "REMOVE" as const, text: "ssn", values: {} }),
    ),
  card: (i) =>
    fc.oneof(
      word.map((v) => ({
        clause: "SET" as const,
        text: `card.#num = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      word.map((v) => ({
        clause: "SET" as const,
        text: `card.expiry = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      fc.tuple(word, word).map(([a, b]) => ({
        clause: "SET" as const,
        text: `card = :a${i}`,
        values: { [`:a${i}`]: { number: a, expiry: b } },
      })),
      fc.constant({ clause: "REMOVE" as const, text: "card.#num", values: {} }),
      word.map((v) => ({
        clause: "SET" as const,
        text: `card.#num = list_append(card.#num, :a${i})`,
        values: { [`:a${i}`]: [v] },
      })),
    ),
  addresses: (i) =>
    fc.oneof(
      word.map((v) => ({
        clause: "SET" as const,
        text: `addresses[0].zip = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      word.map((v) => ({
        clause: "SET" as const,
        text: `addresses[0].city = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      fc.array(word, { minLength: 1, maxLength: 3 }).map((zips) => ({
        clause: "SET" as const,
        text: `addresses = list_append(addresses, :a${i})`,
        values: { [`:a${i}`]: zips.map((zip) => ({ zip })) },
      })),
      fc.array(word, { minLength: 0, maxLength: 3 }).map((zips) => ({
        clause: "SET" as const,
        text: `addresses = :a${i}`,
        values: { [`:a${i}`]: zips.map((zip) => ({ zip, city: "X" })) },
      })),
      fc.constant({ clause: "REMOVE" as const, text: "addresses[0]", values: {} }),
    ),
  name: (i) =>
    fc.oneof(
      word.map((v) => ({
        clause: "SET" as const,
        text: `#nm = :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      fc.constant({ clause: "SET" as const, text: "#nm = ssn", values: {} }),
      fc.constant({ clause: "SET" as const, text: "#nm = card.#num", values: {} }),
    ),
  counter: (i) =>
    fc.oneof(
      n.map((v) => ({
        clause: "SET" as const,
        text: `#ct = #ct + :a${i}`,
        values: { [`:a${i}`]: v },
      })),
      n.map((v) => ({ clause: "ADD" as const, text: `#ct :a${i}`, values: { [`:a${i}`]: v } })),
    ),
};

const update = fc
  .subarray(Object.keys(actionsFor), { minLength: 1 })
  .chain((roots) => fc.tuple(...roots.map((root, i) => actionsFor[root]!(i))))
  .map((actions) => {
    const clauses = new Map<string, string[]>();
    for (const a of actions) clauses.set(a.clause, [...(clauses.get(a.clause) ?? []), a.text]);
    const expression = [...clauses]
      .map(([clause, parts]) => `${clause} ${parts.join(", ")}`)
      .join(" ");
    const values = Object.assign({}, ...actions.map((a) => a.values)) as Record<string, unknown>;
    const names = Object.fromEntries(
      Object.entries({ "#nm": "name", "#num": "number", "#ct": "counter" }).filter(([k]) =>
        expression.includes(k),
      ),
    );
    return { expression, values, names };
  });

function atEncryptedPaths(item: Record<string, any>): unknown[] {
  return [
    item.ssn,
    item.card?.M?.number,
    ...((item.addresses?.L ?? []) as any[]).map((a) => a.M?.zip),
  ].filter((v) => v !== undefined);
}

let run = 0;
describe("random update expressions over encrypted and plain paths (fast-check, DynamoDB Local)", () => {
  it("either store encrypted and read back as a plain table would, or fail closed with nothing sent", async () => {
    const tally = { stored: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(update, async ({ expression, values, names }) => {
        const pk = `p${run++}`;
        const Key = { pk, sk: "v" };
        await app.doc.send(new PutCommand({ TableName: encrypted, Item: { pk, ...INITIAL } }));
        await plainDoc.send(new PutCommand({ TableName: oracle, Item: { pk, ...INITIAL } }));
        const before = (
          await plain.send(
            new GetItemCommand({ TableName: encrypted, Key: { pk: { S: pk }, sk: { S: "v" } } }),
          )
        ).Item;
        const input = {
          Key,
          UpdateExpression: expression,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        };
        const ours = await app.doc.send(new UpdateCommand({ TableName: encrypted, ...input })).then(
          () => undefined,
          (e: unknown) => e,
        );
        const theirs = await plainDoc.send(new UpdateCommand({ TableName: oracle, ...input })).then(
          () => undefined,
          (e: unknown) => e,
        );
        const after = (
          await plain.send(
            new GetItemCommand({ TableName: encrypted, Key: { pk: { S: pk }, sk: { S: "v" } } }),
          )
        ).Item!;
        for (const v of atEncryptedPaths(after)) expect((v as { S?: string }).S).toMatch(/^ENC:/);
        if (ours instanceof EncryptionError) {
          tally.refused++;
          expect(after).toEqual(before); // nothing was sent
          return;
        }
        if (ours !== undefined) {
          // DynamoDB itself refused it (for example list_append on a string); so must the plain table.
          expect(theirs).toBeDefined();
          return;
        }
        tally.stored++;
        expect(theirs).toBeUndefined();
        const read = (await app.doc.send(new GetCommand({ TableName: encrypted, Key }))).Item;
        const expected = (await plainDoc.send(new GetCommand({ TableName: oracle, Key }))).Item;
        expect(read).toEqual(expected);
      }),
      { numRuns: 80 },
    );
    process.stdout.write(
      `random updates: ${tally.stored} stored and read back, ${tally.refused} refused\n`,
    );
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 120_000);
});
