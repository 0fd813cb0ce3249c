/**
 * Reliability 1: no plaintext of a configured field reaches DynamoDB, on any
 * path, with faults. A fast-check model run: random field maps, items and
 * operations (put, update, batch write, transact write, PartiQL) through both
 * clients, with KMS faults injected at random. After every step a plain client
 * scans the table: no configured field may hold anything but ciphertext, no
 * plaintext secret may appear anywhere, and the plugin must read back exactly
 * what the model expects. FUZZ_RUNS sets the number of runs.
 */
import {
  DynamoDBClient,
  ExecuteStatementCommand,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { EncryptionError, fieldEncryption } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, dynamoEndpoint, plainDynamoClient } from "../support/dynamodb";

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const FIELD_SHAPES = {
  top: { path: "secret", place: (v: unknown) => ({ secret: v }), at: (i: any) => [i.secret] },
  nested: {
    path: "profile.tax",
    place: (v: unknown) => ({ profile: { tax: v, note: "open" } }),
    at: (i: any) => [i.profile?.M?.tax],
  },
  list: {
    path: "cards[].number",
    place: (v: unknown) => ({ cards: [{ number: v, brand: "visa" }, { number: v }] }),
    at: (i: any) => (i.cards?.L ?? []).map((c: any) => c.M?.number),
  },
} as const;
type Shape = keyof typeof FIELD_SHAPES;

let kms: KmsTestServer;
let plain: DynamoDBClient;
let tableCounter = 0;
const tally = { runs: 0, operations: 0, faults: 0, refused: 0, stored: 0 };

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/fuzz" });
  plain = plainDynamoClient();
});

afterAll(async () => {
  plain.destroy();
  await kms.stop();
  process.stdout.write(
    `reliability model: ${tally.runs} runs, ${tally.operations} operations (${tally.stored} stored, ${tally.refused} refused), ${tally.faults} KMS faults injected; no plaintext found\n`,
  );
});

let secretCounter = 0;
/** A secret value whose text is unique and searchable in a raw scan, as a string, number or map. */
const secretValue = fc.constantFrom("string", "number", "map", "set").map((kind) => {
  const id = ++secretCounter;
  const text = `SECRET${String(id).padStart(6, "0")}`;
  return kind === "string"
    ? text
    : kind === "number"
      ? Number(`9${String(id).padStart(6, "0")}7`)
      : kind === "map"
        ? { inner: text, list: [text, 1] }
        : new Set([text, `${text}B`]);
});
const secretMarker = (v: unknown) => {
  const text = JSON.stringify(v, (_, x: unknown) => (x instanceof Set ? [...x] : x));
  return /SECRET\d{6}|9\d{6}7/.exec(text)?.[0];
};

type Op =
  | { kind: "put" | "putLow" | "batch" | "transact" | "partiql"; pk: string; value: unknown }
  | { kind: "update"; pk: string; value: unknown };
const op = (pks: string[]) =>
  fc.record({
    kind: fc.constantFrom<Op["kind"]>("put", "putLow", "batch", "transact", "partiql", "update"),
    pk: fc.constantFrom(...pks),
    value: secretValue,
    fault: fc.oneof(
      { weight: 3, arbitrary: fc.constant("none") },
      fc.constantFrom("throttle", "unavailable", "disabled", "denied"),
    ),
  });

async function scan(table: string): Promise<Record<string, any>[]> {
  return (await plain.send(new ScanCommand({ TableName: table }))).Items ?? [];
}

describe("no plaintext reaches DynamoDB for a configured field, on any path, with faults (fast-check model)", () => {
  it("every step stores ciphertext and reads back as the model says, or fails closed with nothing stored", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Shape>("top", "nested", "list"),
        fc.array(op(["a", "b", "c"]), { minLength: 1, maxLength: 8 }),
        async (shape, ops) => {
          tally.runs++;
          const table = `fuzz-${process.pid}-${++tableCounter}`;
          await createTable(plain, table, { partitionKey: "pk" });
          const field = FIELD_SHAPES[shape];
          const kmsClient = kms.client({ accessKeyId: "fuzz", maxAttempts: 2 });
          const low = new DynamoDBClient({
            endpoint: dynamoEndpoint(),
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
          });
          low.middlewareStack.use(
            fieldEncryption({
              keyId: "alias/fuzz",
              kmsClient,
              cache: { maxAgeMs: 60_000, maxUses: 3 },
              tables: { [table]: { partitionKey: "pk", fields: { [field.path]: {} } } },
            }),
          );
          const doc = DynamoDBDocumentClient.from(low);
          const model = new Map<string, Record<string, unknown>>();
          try {
            for (const step of ops) {
              tally.operations++;
              const item = { pk: step.pk, ...field.place(step.value) };
              const before = JSON.stringify(await scan(table));
              if (step.fault !== "none") tally.faults++;
              if (step.fault === "throttle") kms.failNext(5);
              if (step.fault === "unavailable") await kms.setUnavailable("error500");
              if (step.fault === "disabled") kms.disableKey("alias/fuzz");
              if (step.fault === "denied") kms.revokeAll("fuzz");
              let error: unknown;
              try {
                switch (step.kind) {
                  case "put":
                    await doc.send(new PutCommand({ TableName: table, Item: item }));
                    break;
                  case "putLow":
                    await low.send(new PutItemCommand({ TableName: table, Item: marshall(item) }));
                    break;
                  case "batch":
                    await doc.send(
                      new BatchWriteCommand({
                        RequestItems: {
                          [table]: [
                            { PutRequest: { Item: item } },
                            { PutRequest: { Item: { ...item, pk: `${step.pk}-twin` } } },
                          ],
                        },
                      }),
                    );
                    break;
                  case "transact":
                    await doc.send(
                      new TransactWriteCommand({
                        TransactItems: [
                          { Put: { TableName: table, Item: item } },
                          { Put: { TableName: table, Item: { ...item, pk: `${step.pk}-twin` } } },
                        ],
                      }),
                    );
                    break;
                  case "partiql": {
                    const [root, value] = Object.entries(field.place(step.value))[0]!;
                    await low.send(
                      new ExecuteStatementCommand({
                        Statement: `UPSERT INTO "${table}" VALUE {'pk': ?, '${root}': ?}`.replace(
                          "UPSERT",
                          "INSERT",
                        ),
                        Parameters: [{ S: step.pk }, marshall({ v: value }).v!],
                      }),
                    );
                    break;
                  }
                  case "update": {
                    const [root, value] = Object.entries(field.place(step.value))[0]!;
                    await doc.send(
                      new UpdateCommand({
                        TableName: table,
                        Key: { pk: step.pk },
                        UpdateExpression: "SET #r = :v",
                        ExpressionAttributeNames: { "#r": root },
                        ExpressionAttributeValues: { ":v": value },
                      }),
                    );
                    break;
                  }
                }
              } catch (e) {
                error = e;
              } finally {
                kms.failNext(0);
                await kms.setUnavailable(false);
                kms.enableKey("alias/fuzz");
                kms.resetPermissions("fuzz");
              }
              const rows = await scan(table);
              // Nothing but ciphertext at the configured path, and no secret anywhere in the table.
              for (const row of rows)
                for (const v of field.at(row)) if (v !== undefined) expect(v.S).toMatch(/^ENC:/);
              expect(secretMarker(rows)).toBeUndefined();
              if (error) {
                const duplicate =
                  step.kind === "partiql" &&
                  /Duplicate primary key/.test(String((error as Error).message));
                if (!duplicate) {
                  expect(error).toBeInstanceOf(EncryptionError);
                  expect(step.fault).not.toBe("none");
                }
                expect(JSON.stringify(rows)).toBe(before); // failed closed: nothing stored
                tally.refused++;
              } else {
                tally.stored++;
                const apply = (pk: string) =>
                  model.set(pk, { ...(model.get(pk) ?? { pk }), ...item, pk });
                apply(step.pk);
                if (step.kind === "batch" || step.kind === "transact") apply(`${step.pk}-twin`);
                if (step.kind !== "update")
                  for (const pk of step.kind === "batch" || step.kind === "transact"
                    ? [step.pk, `${step.pk}-twin`]
                    : [step.pk])
                    model.set(pk, { ...item, pk });
              }
              for (const [pk, expected] of model) {
                const read = (await doc.send(new GetCommand({ TableName: table, Key: { pk } })))
                  .Item;
                expect(read).toEqual(expected);
              }
            }
          } finally {
            low.destroy();
            kmsClient.destroy();
            await deleteTable(plain, table);
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);
});
