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
  profile: { nick: "ada", phones: ["5550100"] },
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
        fields: { ssn: {}, "card.number": {}, "addresses[].zip": {}, "profile.phones[]": {} },
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

/**
 * One action, and whether it does something unsafe: computes on ciphertext, or
 * copies another path into an encrypted place or an encrypted value elsewhere.
 * `unsafe` comes from how the action was generated, not from the plugin's code.
 */
type Action = {
  clause: "SET" | "REMOVE" | "ADD";
  text: string;
  values: Record<string, unknown>;
  unsafe: boolean;
  nested?: boolean;
};

const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const n = fc.integer({ min: 1, max: 9 });
const safe = (a: Omit<Action, "unsafe">): Action => ({ ...a, unsafe: false });
const unsafe = (a: Omit<Action, "unsafe">): Action => ({ ...a, unsafe: true });

/**
 * A SET operand built from `if_not_exists` and `list_append` nested in any
 * order, whose leaves are the target itself, a `:value`, or another path.
 */
type Operand =
  | { kind: "value"; value: unknown }
  | { kind: "target" }
  | { kind: "other"; text: string }
  | { kind: "if_not_exists" | "list_append"; args: [Operand, Operand] };

function operand(
  leaf: fc.Arbitrary<unknown>,
  others: string[],
  depth: number,
): fc.Arbitrary<Operand> {
  const value = leaf.map((v): Operand => ({ kind: "value", value: v }));
  const path = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Operand>({ kind: "target" }) },
    fc.constantFrom(...others).map((text): Operand => ({ kind: "other", text })),
  );
  if (depth === 0) return fc.oneof(value, path);
  const inner = operand(leaf, others, depth - 1);
  return fc.oneof(
    value,
    path,
    // DynamoDB wants a path first in if_not_exists.
    fc.tuple(path, inner).map((args): Operand => ({ kind: "if_not_exists", args })),
    fc.tuple(inner, inner).map((args): Operand => ({ kind: "list_append", args })),
  );
}

/**
 * Renders `SET target = operand`. It is unsafe when a leaf reads another path
 * (a copy into an encrypted place), or when list_append works on a target that
 * is one encrypted value rather than a list of encrypted elements (it would
 * compute on ciphertext). The target, read inside a function, stays where its
 * values are bound; each `:value` leaf is plaintext the plugin must encrypt.
 */
function setAction(target: string, op: Operand, i: number, listOfEncrypted: boolean): Action {
  const values: Record<string, unknown> = {};
  let unsafeLeaf = false;
  let nested = false;
  const render = (o: Operand): string => {
    switch (o.kind) {
      case "value": {
        const name = `:a${i}_${Object.keys(values).length}`;
        values[name] = o.value;
        return name;
      }
      case "target":
        return target;
      case "other":
        unsafeLeaf = true;
        return o.text;
      default:
        if (o.kind === "list_append" && !listOfEncrypted) unsafeLeaf = true;
        if (o.args.some((a) => a.kind === "if_not_exists" || a.kind === "list_append"))
          nested = true;
        return `${o.kind}(${render(o.args[0])}, ${render(o.args[1])})`;
    }
  };
  const text = `${target} = ${render(op)}`;
  return { clause: "SET", text, values, unsafe: unsafeLeaf, nested };
}

/** A SET operand at the top: a `:value`, another path (a copy), or a function call. */
const setOperand = (leaf: fc.Arbitrary<unknown>, others: string[]): fc.Arbitrary<Operand> =>
  operand(leaf, others, 2).filter((o) => o.kind !== "target");

const zips = (min: number) =>
  fc.array(word, { minLength: min, maxLength: 3 }).map((zs) => zs.map((zip) => ({ zip })));
const phones = (min: number) => fc.array(word, { minLength: min, maxLength: 3 });

/** The forms the ORMs generate: ElectroDB's append, dynamodb-toolbox's $append and $prepend. */
const ormForms = (target: string, leaf: (min: number) => fc.Arbitrary<unknown[]>, i: number) =>
  fc.tuple(leaf(0), leaf(1), fc.boolean()).map(([empty, added, prepend]) =>
    safe({
      clause: "SET",
      text: prepend
        ? `${target} = list_append(:a${i}, if_not_exists(${target}, :b${i}))`
        : `${target} = list_append(if_not_exists(${target}, :b${i}), :a${i})`,
      values: { [`:a${i}`]: added, [`:b${i}`]: empty },
      nested: true,
    }),
  );

/** Actions on one root attribute each, over encrypted and plain paths, safe and unsafe forms alike. */
const actionsFor: Record<string, (i: number) => fc.Arbitrary<Action>> = {
  ssn: (i) =>
    fc.oneof(
      word.map((v) => safe({ clause: "SET", text: `ssn = :a${i}`, values: { [`:a${i}`]: v } })),
      setOperand(word, ["#nm", "card.#num"]).map((op) => setAction("ssn", op, i, false)),
      n.map((v) =>
        unsafe({ clause: "SET", text: `ssn = ssn + :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      n.map((v) => unsafe({ clause: "ADD", text: `ssn :a${i}`, values: { [`:a${i}`]: v } })),
      fc.constant(unsafe({ clause: "SET", text: `ssn = #nm`, values: {} })),
      fc.constant(safe({ clause: "REMOVE", text: "ssn", values: {} })),
    ),
  card: (i) =>
    fc.oneof(
      word.map((v) =>
        safe({ clause: "SET", text: `card.#num = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      word.map((v) =>
        safe({ clause: "SET", text: `card.expiry = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      fc.tuple(word, word).map(([a, b]) =>
        safe({
          clause: "SET",
          text: `card = :a${i}`,
          values: { [`:a${i}`]: { number: a, expiry: b } },
        }),
      ),
      fc.tuple(word, word).map(([a, b]) =>
        safe({
          clause: "SET",
          text: `card = if_not_exists(card, :a${i})`,
          values: { [`:a${i}`]: { number: a, expiry: b } },
        }),
      ),
      fc.constant(safe({ clause: "REMOVE", text: "card.#num", values: {} })),
      word.map((v) =>
        unsafe({
          clause: "SET",
          text: `card.#num = list_append(card.#num, :a${i})`,
          values: { [`:a${i}`]: [v] },
        }),
      ),
    ),
  addresses: (i) =>
    fc.oneof(
      word.map((v) =>
        safe({ clause: "SET", text: `addresses[0].zip = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      word.map((v) =>
        safe({ clause: "SET", text: `addresses[0].city = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      fc.array(word, { minLength: 0, maxLength: 3 }).map((zs) =>
        safe({
          clause: "SET",
          text: `addresses = :a${i}`,
          values: { [`:a${i}`]: zs.map((zip) => ({ zip, city: "X" })) },
        }),
      ),
      { weight: 3, arbitrary: ormForms("addresses", zips, i) },
      setOperand(zips(0), ["#nm", "ssn"]).map((op) => setAction("addresses", op, i, true)),
      fc.constant(safe({ clause: "REMOVE", text: "addresses[0]", values: {} })),
    ),
  profile: (i) =>
    fc.oneof(
      word.map((v) =>
        safe({ clause: "SET", text: `profile.nick = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      word.map((v) =>
        safe({ clause: "SET", text: `profile.phones[0] = :a${i}`, values: { [`:a${i}`]: v } }),
      ),
      { weight: 3, arbitrary: ormForms("profile.phones", phones, i) },
      setOperand(phones(0), ["profile.nick", "ssn"]).map((op) =>
        setAction("profile.phones", op, i, true),
      ),
      fc.constant(unsafe({ clause: "SET", text: "profile.nick = profile.phones[0]", values: {} })),
    ),
  name: (i) =>
    fc.oneof(
      word.map((v) => safe({ clause: "SET", text: `#nm = :a${i}`, values: { [`:a${i}`]: v } })),
      fc.constant(unsafe({ clause: "SET", text: "#nm = ssn", values: {} })),
      fc.constant(unsafe({ clause: "SET", text: "#nm = card.#num", values: {} })),
      fc.constant(
        unsafe({ clause: "SET", text: "#nm = if_not_exists(#nm, addresses[0].zip)", values: {} }),
      ),
    ),
  counter: (i) =>
    fc.oneof(
      n.map((v) => safe({ clause: "SET", text: `#ct = #ct + :a${i}`, values: { [`:a${i}`]: v } })),
      n.map((v) => safe({ clause: "ADD", text: `#ct :a${i}`, values: { [`:a${i}`]: v } })),
    ),
};

const update = fc
  .subarray(Object.keys(actionsFor), { minLength: 1, maxLength: 3 })
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
    return {
      expression,
      values,
      names,
      unsafe: actions.some((a) => a.unsafe),
      nested: actions.some((a) => a.nested === true && !a.unsafe),
    };
  });

function atEncryptedPaths(item: Record<string, any>): unknown[] {
  return [
    item.ssn,
    item.card?.M?.number,
    ...((item.addresses?.L ?? []) as any[]).map((a) => a.M?.zip),
    ...((item.profile?.M?.phones?.L ?? []) as unknown[]),
  ].filter((v) => v !== undefined);
}

let run = 0;
describe("random update expressions over encrypted and plain paths (fast-check, DynamoDB Local)", () => {
  it("are refused exactly when the generator made them unsafe (nothing sent); the others store encrypted and read back as a plain table would", async () => {
    const tally = { stored: 0, nestedStored: 0, refused: 0, rejectedByDynamo: 0 };
    await fc.assert(
      fc.asyncProperty(update, async ({ expression, values, names, unsafe, nested }) => {
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
        if (unsafe) {
          // Whatever DynamoDB would have made of it, the plugin refuses before sending.
          expect(ours).toBeInstanceOf(EncryptionError);
          expect((ours as EncryptionError).code).toBe("expression.unsupportedOnEncrypted");
          expect(after).toEqual(before);
          tally.refused++;
          return;
        }
        // A safe expression is never refused by the plugin.
        expect(ours).not.toBeInstanceOf(EncryptionError);
        if (ours !== undefined) {
          // DynamoDB itself rejected it (for example if_not_exists on a missing list inside list_append); so must the plain table.
          expect(theirs).toBeDefined();
          expect(after).toEqual(before);
          tally.rejectedByDynamo++;
          return;
        }
        expect(theirs).toBeUndefined();
        tally.stored++;
        if (nested) tally.nestedStored++;
        const read = (await app.doc.send(new GetCommand({ TableName: encrypted, Key }))).Item;
        const expected = (await plainDoc.send(new GetCommand({ TableName: oracle, Key }))).Item;
        expect(read).toEqual(expected);
      }),
      { numRuns: 120 },
    );
    process.stdout.write(
      `random updates: ${tally.stored} stored and read back (${tally.nestedStored} with nested if_not_exists/list_append), ${tally.refused} refused, ${tally.rejectedByDynamo} rejected by DynamoDB\n`,
    );
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.nestedStored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 180_000);
});
