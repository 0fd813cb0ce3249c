import {
  BatchWriteItemCommand,
  ExecuteStatementCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  ExecuteStatementCommand as DocExecuteStatementCommand,
  PutCommand,
  QueryCommand as DocQueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { convertToAttr, marshall } from "@aws-sdk/util-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { fieldEncryption, type FieldEncryptionConfig } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { localBeaconConfig } from "../support/beacon-setup";
import { setup } from "../support/plugin-setup";
import { expectRefused } from "../support/refused";

const EMAIL = "Jane.Doe@Example.com";
const SSN = "123-45-6789";
const KEY = { pk: "user#1", sk: "profile" };

/** The beacon config plus an encrypted number and list of zips; `fields` override. */
async function guardConfig(
  fields: Record<string, object> = {},
  top: Partial<FieldEncryptionConfig> = {},
): Promise<FieldEncryptionConfig> {
  const config = await localBeaconConfig();
  const users = config.tables.Users!;
  users.fields = { ...users.fields, pin: {}, "addresses[].zip": {}, ...fields };
  return { ...config, ...top };
}

type Kind = "client" | "doc";
type Ctx = ReturnType<typeof setup>;
/** Sends the same request through the low-level client (values marshalled) or the Document client. */
type Send = (ctx: Ctx, kind: Kind) => Promise<unknown>;

const item = (extra: Record<string, unknown>) => ({ ...KEY, email: EMAIL, ssn: SSN, ...extra });
const wireItem = (kind: Kind, value: Record<string, unknown>) =>
  kind === "doc" ? value : marshall(value, { convertClassInstanceToMap: true });
const wireValues = (kind: Kind, values: Record<string, unknown>) =>
  kind === "doc"
    ? values
    : Object.fromEntries(Object.entries(values).map(([k, v]) => [k, convertToAttr(v)]));

const put =
  (extra: Record<string, unknown>, more: Record<string, unknown> = {}): Send =>
  (ctx, kind) => {
    const values = more.ExpressionAttributeValues as Record<string, unknown> | undefined;
    const input = {
      TableName: "Users",
      Item: wireItem(kind, item(extra)),
      ...more,
      ...(values ? { ExpressionAttributeValues: wireValues(kind, values) } : {}),
    } as never;
    return kind === "doc"
      ? ctx.doc.send(new PutCommand(input))
      : ctx.client.send(new PutItemCommand(input));
  };

const update =
  (key: Record<string, unknown>, expression: string, values: Record<string, unknown>): Send =>
  (ctx, kind) => {
    const input = {
      TableName: "Users",
      Key: wireItem(kind, key),
      UpdateExpression: expression,
      ExpressionAttributeValues: wireValues(kind, values),
    } as never;
    return kind === "doc"
      ? ctx.doc.send(new UpdateCommand(input))
      : ctx.client.send(new UpdateItemCommand(input));
  };

const statement =
  (text: string, params: unknown[]): Send =>
  (ctx, kind) =>
    kind === "doc"
      ? ctx.doc.send(new DocExecuteStatementCommand({ Statement: text, Parameters: params }))
      : ctx.client.send(
          new ExecuteStatementCommand({
            Statement: text,
            Parameters: params.map((p) => convertToAttr(p)),
          }),
        );

/** Each request holds a copy of an encrypted value in something it sends unencrypted; `attribute` is where. */
const COPIES: { name: string; send: Send; field: string; attribute: string }[] = [
  {
    name: "Put: a GSI key composed from the email, lowercased (ElectroDB's shape)",
    send: put({ gsi1pk: `$app#email_${EMAIL.toLowerCase()}` }),
    field: "email",
    attribute: "Item.gsi1pk",
  },
  {
    name: "Put: the table's sort key",
    send: put({ sk: `ssn#${SSN}` }),
    field: "ssn",
    attribute: "Item.sk",
  },
  {
    name: "Put: a nested string in a map",
    send: put({ meta: { notes: { text: `call ${EMAIL.toUpperCase()} back` } } }),
    field: "email",
    attribute: "Item.meta.notes.text",
  },
  {
    name: "Put: a string set",
    send: put({ tags: new Set(["vip", `ssn:${SSN}`]) }),
    field: "ssn",
    attribute: "Item.tags[1]",
  },
  {
    name: "Put: a list element",
    send: put({ history: ["a", { old: SSN }] }),
    field: "ssn",
    attribute: "Item.history[1].old",
  },
  {
    name: "Put: an encrypted number's text in an unencrypted string",
    send: put({ pin: 987654321, label: "pin-987654321" }),
    field: "pin",
    attribute: "Item.label",
  },
  {
    name: "Put: an encrypted string's digits as an unencrypted number",
    send: put({ ssn: "123456789", ssnNumber: 123456789 }),
    field: "ssn",
    attribute: "Item.ssnNumber",
  },
  {
    name: "Put: an element of an encrypted list of zips",
    send: put({ addresses: [{ zip: "941070000" }], zipCode: "zip 941070000" }),
    field: "addresses[].zip",
    attribute: "Item.zipCode",
  },
  {
    name: "Put: a condition value",
    send: put(
      {},
      {
        ConditionExpression: "#n <> :c",
        ExpressionAttributeNames: { "#n": "name" },
        ExpressionAttributeValues: { ":c": SSN },
      },
    ),
    field: "ssn",
    attribute: 'ExpressionAttributeValues[":c"]',
  },
  {
    name: "Put: the email trimmed and lowercased as its beacon normalises it",
    send: put({ email: `  ${EMAIL}  `, login: EMAIL.toLowerCase() }),
    field: "email",
    attribute: "Item.login",
  },
  {
    name: "Update: a SET value on another attribute",
    send: update(KEY, "SET ssn = :s, gsi1pk = :g", { ":s": SSN, ":g": `ssn#${SSN}` }),
    field: "ssn",
    attribute: 'ExpressionAttributeValues[":g"]',
  },
  {
    name: "Update: an ADD to a string set",
    send: update(KEY, "SET email = :e ADD seen :t", { ":e": EMAIL, ":t": new Set([EMAIL]) }),
    field: "email",
    attribute: 'ExpressionAttributeValues[":t"][0]',
  },
  {
    name: "Update: the Key",
    send: update({ pk: "user#1", sk: SSN }, "SET ssn = :s", { ":s": SSN }),
    field: "ssn",
    attribute: "Key.sk",
  },
  {
    name: "PartiQL: a parameter",
    send: statement(`INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?, 'ssn': ?, 'backup': ?}`, [
      "u",
      "s",
      SSN,
      `x${SSN}`,
    ]),
    field: "ssn",
    attribute: "Parameters[3]",
  },
  {
    name: "PartiQL: a string literal",
    send: statement(`INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?, 'ssn': ?, 'backup': '${SSN}'}`, [
      "u",
      "s",
      SSN,
    ]),
    field: "ssn",
    attribute: "Statement (literal at character 65)",
  },
];

describe("the copy guard refuses a write whose unencrypted values hold an encrypted value's plaintext", () => {
  for (const kind of ["client", "doc"] as const) {
    describe(`through the ${kind === "doc" ? "Document" : "low-level"} client`, () => {
      it.each(COPIES)("$name", async ({ send, field, attribute }) => {
        const ctx = setup(await guardConfig());
        const error = await expectRefused(send(ctx, kind), ctx.fake, "plaintext.copied");
        expect(error).toMatchObject({ table: "Users", field, attribute });
        for (const secret of [EMAIL, EMAIL.toLowerCase(), SSN, "987654321", "941070000"])
          expect(error.message).not.toContain(secret);
      });
    });
  }

  it("BatchWriteItem: a copy in one put request refuses the whole batch", async () => {
    for (const kind of ["client", "doc"] as const) {
      const ctx = setup(await guardConfig());
      const requests = [
        { PutRequest: { Item: wireItem(kind, item({ sk: "a" })) } },
        { PutRequest: { Item: wireItem(kind, item({ sk: "b", gsi1pk: `EMAIL#${EMAIL}` })) } },
      ];
      const input = { RequestItems: { Users: requests } } as never;
      const error = await expectRefused(
        kind === "doc"
          ? ctx.doc.send(new BatchWriteCommand(input))
          : ctx.client.send(new BatchWriteItemCommand(input)),
        ctx.fake,
        "plaintext.copied",
      );
      expect(error.attribute).toBe("RequestItems.Users[1].PutRequest.Item.gsi1pk");
    }
  });

  it("TransactWriteItems: a copy in another table's item of the same transaction", async () => {
    for (const kind of ["client", "doc"] as const) {
      const ctx = setup(await guardConfig());
      const input = {
        TransactItems: [
          { Put: { TableName: "Users", Item: wireItem(kind, item({})) } },
          { Put: { TableName: "Plain", Item: wireItem(kind, { pk: `owner#${SSN}` }) } },
        ],
      } as never;
      const error = await expectRefused(
        kind === "doc"
          ? ctx.doc.send(new TransactWriteCommand(input))
          : ctx.client.send(new TransactWriteItemsCommand(input)),
        ctx.fake,
        "plaintext.copied",
      );
      expect(error).toMatchObject({ field: "ssn", attribute: "TransactItems[1].Put.Item.pk" });
    }
  });

  it("a beacon lookup's searched value used again in a FilterExpression on another attribute", async () => {
    for (const kind of ["client", "doc"] as const) {
      const ctx = setup(await guardConfig());
      const input = {
        TableName: "Users",
        IndexName: "email-index",
        KeyConditionExpression: "email = :e",
        FilterExpression: "contains(notes, :e)",
        ExpressionAttributeValues: wireValues(kind, { ":e": EMAIL }),
      } as never;
      const error = await expectRefused(
        kind === "doc"
          ? ctx.doc.send(new DocQueryCommand(input))
          : ctx.client.send(new QueryCommand(input)),
        ctx.fake,
        "plaintext.copied",
      );
      expect(error).toMatchObject({ field: "email", attribute: 'ExpressionAttributeValues[":e"]' });
    }
  });
});

describe("copies the guard finds in names, binaries and any letter case", () => {
  it("BatchWriteItem to a configured table named like a request member (Item) is searched", async () => {
    const config: FieldEncryptionConfig = {
      ...(await localBeaconConfig()),
      tables: { Item: { partitionKey: "pk", fields: { ssn: {} } } },
    };
    const fake = new FakeDynamoDB({ Item: ["pk"] });
    const client = fake.client();
    client.middlewareStack.use(fieldEncryption(config));
    const doc = DynamoDBDocumentClient.from(client);
    const error = await expectRefused(
      doc.send(
        new BatchWriteCommand({
          RequestItems: { Item: [{ PutRequest: { Item: { pk: `p#${SSN}`, ssn: SSN } } }] },
        }),
      ),
      fake,
      "plaintext.copied",
    );
    expect(error.attribute).toBe("RequestItems.Item[0].PutRequest.Item.pk");
  });

  it.each([
    ["a map key", { invites: { [EMAIL.toLowerCase()]: true } }, "Item.invites (an attribute name)"],
    [
      "a map key below the top level",
      { seen: { by: { [`ssn_${SSN}`]: 1 } } },
      "Item.seen.by (an attribute name)",
    ],
    [
      "a digit-only string right after other digits",
      { ssn: "5551234567", target: "+15551234567" },
      "Item.target",
    ],
    ["a binary attribute holding text", { blob: Buffer.from(`ssn=${SSN}`) }, "Item.blob"],
    ["a binary set", { blobs: new Set([Buffer.from("x"), Buffer.from(SSN)]) }, "Item.blobs[1]"],
    [
      "an upper-cased copy of a value with ß",
      { ssn: "Hauptstraße 12", gsi1pk: "ADDR#HAUPTSTRASSE 12" },
      "Item.gsi1pk",
    ],
  ])("%s", async (_, extra, attribute) => {
    const ctx = setup(await guardConfig());
    const error = await expectRefused(put(extra)(ctx, "doc"), ctx.fake, "plaintext.copied");
    expect(error.attribute).toBe(attribute);
  });

  it("an ExpressionAttributeNames entry", async () => {
    const ctx = setup(await guardConfig());
    const error = await expectRefused(
      ctx.doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: KEY,
          UpdateExpression: "SET ssn = :s, #seen.#k = :t",
          ExpressionAttributeNames: { "#seen": "seen", "#k": SSN },
          ExpressionAttributeValues: { ":s": SSN, ":t": true },
        }),
      ),
      ctx.fake,
      "plaintext.copied",
    );
    expect(error.attribute).toBe('ExpressionAttributeNames["#k"]');
  });
});

describe("what the copy guard lets through", () => {
  it("an item with no copy is sent, its beacon and ciphertexts skipped, the caller's item untouched", async () => {
    const ctx = setup(await guardConfig());
    const value = item({ gsi1pk: "$app#user_1", notes: "nothing secret here", pin: 987654321 });
    const copy = structuredClone(value);
    await ctx.doc.send(new PutCommand({ TableName: "Users", Item: value }));
    expect(value).toEqual(copy);
    const sent = ctx.fake.last("PutItem").body.Item;
    expect(sent.email.S).toMatch(/^ENC:/);
    expect(sent.email__beacon.S).toMatch(/^[0-9a-f]+$/);
  });

  it("a beacon lookup whose searched value appears nowhere else", async () => {
    const ctx = setup(await guardConfig());
    await ctx.doc.send(
      new DocQueryCommand({
        TableName: "Users",
        IndexName: "email-index",
        KeyConditionExpression: "email = :e",
        ExpressionAttributeValues: { ":e": EMAIL },
      }),
    );
    expect(JSON.stringify(ctx.fake.last("Query").body)).not.toContain(EMAIL.toLowerCase());
  });

  it("values shorter than minLength (default 6) are not searched; a field's minLength lowers it", async () => {
    const short = put({ addresses: [{ zip: "94107" }], zipCode: "94107" });
    const ctx = setup(await guardConfig());
    await short(ctx, "doc");
    expect(ctx.fake.requests).toHaveLength(1);
    const strict = setup(await guardConfig({ "addresses[].zip": { copyGuard: { minLength: 5 } } }));
    await expectRefused(short(strict, "doc"), strict.fake, "plaintext.copied");
  });

  it("the config-wide minLength applies to every field", async () => {
    const ctx = setup(await guardConfig({}, { copyGuard: { minLength: 5 } }));
    await expectRefused(
      put({ addresses: [{ zip: "94107" }], zipCode: "94107" })(ctx, "doc"),
      ctx.fake,
      "plaintext.copied",
    );
  });

  it("copyGuard: false on a field sends its copy (the explicit, unsafe opt-out), and only for that field", async () => {
    const ctx = setup(await guardConfig({ email: { copyGuard: false } }));
    await put({ gsi1pk: `$app#email_${EMAIL.toLowerCase()}` })(ctx, "doc");
    expect(ctx.fake.last("PutItem").body.Item.gsi1pk.S).toBe(`$app#email_${EMAIL.toLowerCase()}`);
    const other = setup(await guardConfig({ email: { copyGuard: false } }));
    await expectRefused(
      put({ gsi1pk: `ssn#${SSN}` })(other, "doc"),
      other.fake,
      "plaintext.copied",
    );
  });

  it("top-level attribute names and first path steps are schema: a value occurring in them is no copy", async () => {
    const ctx = setup(await guardConfig({ title: {} }));
    await ctx.doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { ...KEY, title: "Manager", managerId: "u#7" },
      }),
    );
    await ctx.doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET #t = :t, #m = :m",
        ExpressionAttributeNames: { "#t": "title", "#m": "managerId" },
        ExpressionAttributeValues: { ":t": "Manager", ":m": "u#7" },
      }),
    );
    await ctx.client.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "Users" VALUE {'pk': ?, 'sk': ?, 'title': ?, 'managerId': ?}`,
        Parameters: [{ S: "u" }, { S: "s" }, { S: "Manager" }, { S: "u#7" }],
      }),
    );
    expect(ctx.fake.requests).toHaveLength(3);
  });

  it("needles of many distinct lengths beside a long text are searched in one pass per text", async () => {
    const ctx = setup(await guardConfig({ contacts: {} }));
    const contacts = Array.from({ length: 200 }, (_, i) => "c".repeat(i + 6));
    const notes = "n".repeat(20_000);
    const charCodeAt = jest.spyOn(String.prototype, "charCodeAt");
    try {
      await ctx.doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, contacts, notes } }));
      // One scan of the notes (plus building the automaton): far below 200 lengths x 20,000 characters.
      expect(charCodeAt.mock.calls.length).toBeLessThan(400_000);
    } finally {
      charCodeAt.mockRestore();
    }
    expect(ctx.fake.requests).toHaveLength(1);
    const leaky = setup(await guardConfig({ contacts: {} }));
    await expectRefused(
      put({ contacts, notes: `${notes}${"C".repeat(150)}` })(leaky, "doc"),
      leaky.fake,
      "plaintext.copied",
    );
  });

  it("expression text is not searched; a name equal to a value shorter than minLength is no copy", async () => {
    const ctx = setup(await guardConfig());
    await ctx.doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :s, plan_premium = :d",
        ExpressionAttributeValues: { ":s": "plan_premium", ":d": "2024-01-01" },
      }),
    );
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "gold", gold_since: "2024" } }),
    );
    expect(ctx.fake.requests).toHaveLength(2);
  });

  it("an encrypted number is not found inside a longer number (timestamps, limits), only where no digit is beside it", async () => {
    const ctx = setup(await guardConfig({ salary: {} }));
    await ctx.doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { ...KEY, salary: 100000, creditLimit: 1000000 },
      }),
    );
    await ctx.doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { ...KEY, salary: 120000, createdAt: 1765120000000 },
      }),
    );
    expect(ctx.fake.requests).toHaveLength(2);
    const other = setup(await guardConfig({ salary: {} }));
    await expectRefused(
      put({ salary: 120000, note: "salary=120000;" })(other, "doc"),
      other.fake,
      "plaintext.copied",
    );
  });

  it("a large encrypted list beside a large plain list is searched without comparing every pair", async () => {
    const ctx = setup(await guardConfig({ contacts: {} }));
    const n = 2000;
    const contacts = Array.from({ length: n }, (_, i) => `c${String(i).padStart(7, "0")}`);
    const tags = Array.from({ length: n }, (_, i) => `o${String(i).padStart(7, "0")}`);
    const indexOf = jest.spyOn(String.prototype, "indexOf");
    const includes = jest.spyOn(String.prototype, "includes");
    try {
      await ctx.doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, contacts, tags } }));
      // Pairwise, it would be n × n = 4,000,000 substring searches.
      expect(indexOf.mock.calls.length + includes.mock.calls.length).toBeLessThan(20 * n);
    } finally {
      indexOf.mockRestore();
      includes.mockRestore();
    }
    expect(ctx.fake.requests).toHaveLength(1);
    const leaky = setup(await guardConfig({ contacts: {} }));
    await expectRefused(
      put({ contacts, tags: [...tags, `x${contacts[1234]}`] })(leaky, "doc"),
      leaky.fake,
      "plaintext.copied",
    );
  });
});

/** The guard config on a client whose SDK logger writes every line to `lines`. */
async function loggedSetup() {
  const lines: string[] = [];
  const log = (...a: unknown[]) => lines.push(JSON.stringify(a));
  const ctx = setup(await guardConfig(), {
    logger: { debug: log, info: log, warn: log, error: log },
  });
  return { ctx, lines };
}

describe("a write refused for a copy", () => {
  it("a write refused for another reason, before the guard ran, does not log its copy either", async () => {
    const { ctx, lines } = await loggedSetup();
    const copy = { gsi1pk: `$app#email_${EMAIL.toLowerCase()}` };
    // Too large once encrypted (item.tooLarge), and a plan-time refusal (a comparison on an encrypted field).
    await put({ ...copy, ssn: "x".repeat(500_000) })(ctx, "doc").catch(() => undefined);
    await put(copy, {
      ConditionExpression: "ssn > :c",
      ExpressionAttributeValues: { ":c": "a" },
    })(ctx, "doc").catch(() => undefined);
    expect(ctx.fake.requests).toHaveLength(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n").toLowerCase()).not.toContain(EMAIL.toLowerCase());
  });

  it("PartiQL names below the top level are searched like nested map keys", async () => {
    const ctx = setup(await guardConfig());
    await expectRefused(
      ctx.doc.send(
        new DocExecuteStatementCommand({
          Statement: `INSERT INTO "Users" VALUE {'pk': 'u', 'sk': 's', 'ssn': ?, 'seen': {'x${SSN}': true}}`,
          Parameters: [SSN],
        }),
      ),
      ctx.fake,
      "plaintext.copied",
    );
    await expectRefused(
      ctx.doc.send(
        new DocExecuteStatementCommand({
          Statement: `UPDATE "Users" SET ssn = ? SET seen."x${SSN}" = true WHERE pk = 'u' AND sk = 's'`,
          Parameters: [SSN],
        }),
      ),
      ctx.fake,
      "plaintext.copied",
    );
  });

  it("does not reach the SDK logger with the copy, through either client, BatchWrite and TransactWrite too", async () => {
    const { ctx, lines } = await loggedSetup();
    const copy = { gsi1pk: `$app#email_${EMAIL.toLowerCase()}` };
    for (const kind of ["client", "doc"] as const)
      await put(copy)(ctx, kind).catch(() => undefined);
    await ctx.doc
      .send(
        new BatchWriteCommand({
          RequestItems: { Users: [{ PutRequest: { Item: item({ ...copy, sk: "b" }) } }] },
        }),
      )
      .catch(() => undefined);
    await ctx.doc
      .send(
        new TransactWriteCommand({
          TransactItems: [{ Put: { TableName: "Users", Item: item(copy) } }],
        }),
      )
      .catch(() => undefined);
    expect(ctx.fake.requests).toHaveLength(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n").toLowerCase()).not.toContain(EMAIL.toLowerCase());
  });
});
