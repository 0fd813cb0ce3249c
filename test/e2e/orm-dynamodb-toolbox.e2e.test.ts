/**
 * dynamodb-toolbox 2 on DynamoDB Local, with the plugin on the DocumentClient
 * its Table is given: every operation through the toolbox's own API, the
 * stored form read back with a plain client, and the refusals its users will
 * meet.
 */
import { GetItemCommand as LowGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  $add,
  $append,
  $get,
  $prepend,
  $remove,
  $subtract,
  $sum,
  BatchGetCommand,
  BatchGetRequest,
  BatchPutRequest,
  BatchWriteCommand,
  Entity,
  executeBatchGet,
  executeBatchWrite,
  executeTransactGet,
  executeTransactWrite,
  GetItemCommand,
  GetTransaction,
  isConditionCheckFailed,
  isTransactionCancelled,
  item,
  list,
  map,
  number,
  PutItemCommand,
  PutTransaction,
  QueryCommand,
  ScanCommand,
  string,
  Table,
  UpdateItemCommand,
  UpdateTransaction,
} from "dynamodb-toolbox";
import { EncryptionError } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

const tableName = uniqueTableName("orm-toolbox");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let app: PluginClients;

const SECRETS = ["123-45-6789", "987-65-4321", "4111111111111111", "94107", "10001", "30301"];

function model(documentClient: PluginClients["doc"]) {
  const table = new Table({
    name: tableName,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    indexes: {
      byTeam: {
        type: "global",
        partitionKey: { name: "team", type: "string" },
        sortKey: { name: "pk", type: "string" },
      },
    },
    documentClient,
  });
  const User = new Entity({
    name: "User",
    table,
    timestamps: false,
    schema: item({
      pk: string().key(),
      sk: string().key(),
      team: string(),
      name: string().optional(),
      ssn: string().optional(),
      balance: number().optional(),
      card: map({ number: string(), expiry: string().optional() }).optional(),
      addresses: list(map({ zip: string(), city: string().optional() })).optional(),
    }),
  });
  return { table, User };
}

let table: ReturnType<typeof model>["table"];
let User: ReturnType<typeof model>["User"];

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  await createTable(plain, tableName, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "byTeam", partitionKey: "team", sortKey: "pk" }],
  });
  app = pluginClients(kms, {
    keyId: "alias/app-data",
    tables: {
      [tableName]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: {}, balance: {}, "card.number": {}, "addresses[].zip": {} },
      },
    },
  });
  ({ table, User } = model(app.doc));
});

afterAll(async () => {
  app.destroy();
  await deleteTable(plain, tableName);
  plain.destroy();
  await kms.stop();
});

let next = 0;
const user = (overrides: Record<string, unknown> = {}) => ({
  pk: `u${next++}`,
  sk: "profile",
  team: "blue",
  name: "Ada",
  ssn: "123-45-6789",
  card: { number: "4111111111111111", expiry: "12/30" },
  addresses: [{ zip: "94107", city: "SF" }],
  ...overrides,
});
const keyOf = (u: { pk: string; sk: string }) => ({ pk: u.pk, sk: u.sk });

/** The item as DynamoDB stores it, read with a plain client and unmarshalled. */
async function stored(u: { pk: string; sk: string }): Promise<Record<string, any> | undefined> {
  const { Item } = await plain.send(
    new LowGetItemCommand({ TableName: tableName, Key: { pk: { S: u.pk }, sk: { S: u.sk } } }),
  );
  return Item && unmarshall(Item);
}

/** Every configured field of a stored item is an `ENC:` string, and no secret appears anywhere in it. */
function expectEncrypted(item: Record<string, any> | undefined, fields: { addresses: number }) {
  expect(item).toBeDefined();
  const text = JSON.stringify(item);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  if (item!.ssn !== undefined) expect(item!.ssn).toMatch(/^ENC:/);
  expect(item!.card.number).toMatch(/^ENC:/);
  expect(item!.addresses).toHaveLength(fields.addresses);
  for (const a of item!.addresses) expect(a.zip).toMatch(/^ENC:/);
}

/** The EncryptionError a toolbox call failed with (the toolbox passes client errors through). */
async function refusal(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  for (const secret of SECRETS) expect((error as Error).message).not.toContain(secret);
  return error as EncryptionError;
}

describe("dynamodb-toolbox 2 through the plugin (DynamoDB Local)", () => {
  it("PutItemCommand stores the configured fields as ENC: strings, and GetItemCommand reads them back decrypted", async () => {
    const ada = user();
    await User.build(PutItemCommand).item(ada).send();
    expectEncrypted(await stored(ada), { addresses: 1 });
    expect((await User.build(GetItemCommand).key(keyOf(ada)).send()).Item).toEqual(ada);
  });

  it("QueryCommand on the table and on a GSI returns decrypted items", async () => {
    const team = `team${next++}`;
    const a = user({ team });
    const b = user({ team, ssn: "987-65-4321" });
    await User.build(PutItemCommand).item(a).send();
    await User.build(PutItemCommand).item(b).send();
    const byKey = await table.build(QueryCommand).entities(User).query({ partition: a.pk }).send();
    expect(byKey.Items).toEqual([a]);
    const byTeam = await table
      .build(QueryCommand)
      .entities(User)
      .query({ index: "byTeam", partition: team })
      .send();
    expect(byTeam.Items!.sort((x, y) => x.pk.localeCompare(y.pk))).toEqual([a, b]);
  });

  it("UpdateItemCommand: set, nested set, $append, $prepend and $remove store encrypted values that read back decrypted", async () => {
    const ada = user();
    await User.build(PutItemCommand).item(ada).send();
    await User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), ssn: "987-65-4321", card: { number: "4000000000000002" } })
      .send();
    expect((await stored(ada))!.card).toEqual({
      number: expect.stringMatching(/^ENC:/),
      expiry: "12/30",
    });

    // $append: SET #s_1 = list_append(if_not_exists(#s_1, :s_1), :s_2); $prepend the mirror image.
    const append = User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), addresses: $append([{ zip: "10001", city: "NY" }]) })
      .params();
    expect(append.UpdateExpression).toMatch(/list_append\(if_not_exists\(#s_1, :s_1\), :s_2\)/);
    await User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), addresses: $append([{ zip: "10001", city: "NY" }]) })
      .send();
    const prepend = User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), addresses: $prepend([{ zip: "30301", city: "ATL" }]) })
      .params();
    expect(prepend.UpdateExpression).toMatch(/list_append\(:s_1, if_not_exists\(#s_1, :s_2\)\)/);
    await User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), addresses: $prepend([{ zip: "30301", city: "ATL" }]) })
      .send();
    expectEncrypted(await stored(ada), { addresses: 3 });

    const { Attributes } = await User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), ssn: $remove() })
      .options({ returnValues: "ALL_NEW" })
      .send();
    expect((await stored(ada))!.ssn).toBeUndefined();
    const expected = {
      ...ada,
      card: { number: "4000000000000002", expiry: "12/30" },
      addresses: [
        { zip: "30301", city: "ATL" },
        { zip: "94107", city: "SF" },
        { zip: "10001", city: "NY" },
      ],
    };
    delete (expected as { ssn?: string }).ssn;
    expect(Attributes).toEqual(expected);
    expect((await User.build(GetItemCommand).key(keyOf(ada)).send()).Item).toEqual(expected);
  });

  it("$append onto a user with no addresses yet starts the list from the if_not_exists default", async () => {
    const ada = user({ addresses: undefined });
    await User.build(PutItemCommand).item(ada).send();
    await User.build(UpdateItemCommand)
      .item({ ...keyOf(ada), addresses: $append([{ zip: "30301" }]) })
      .send();
    expect((await stored(ada))!.addresses[0].zip).toMatch(/^ENC:/);
    expect((await User.build(GetItemCommand).key(keyOf(ada)).send()).Item!.addresses).toEqual([
      { zip: "30301" },
    ]);
  });

  it("BatchWriteCommand and BatchGetCommand: each item stored encrypted and read back decrypted", async () => {
    const batch = [user(), user({ ssn: "987-65-4321" }), user()];
    await executeBatchWrite(
      table
        .build(BatchWriteCommand)
        .requests(...batch.map((u) => User.build(BatchPutRequest).item(u))),
    );
    for (const u of batch) expectEncrypted(await stored(u), { addresses: 1 });
    const { Responses } = await executeBatchGet(
      table
        .build(BatchGetCommand)
        .requests(...batch.map((u) => User.build(BatchGetRequest).key(keyOf(u)))),
    );
    expect(Responses[0]).toEqual(batch);
  });

  it("transactions: a write transaction stores encrypted values and a get transaction reads them decrypted", async () => {
    const a = user();
    const b = user();
    await User.build(PutItemCommand).item(a).send();
    await executeTransactWrite(
      User.build(PutTransaction).item(b),
      User.build(UpdateTransaction).item({ ...keyOf(a), ssn: "987-65-4321" }),
    );
    expectEncrypted(await stored(b), { addresses: 1 });
    expect((await stored(a))!.ssn).toMatch(/^ENC:/);
    const { Responses } = await executeTransactGet(
      User.build(GetTransaction).key(keyOf(a)),
      User.build(GetTransaction).key(keyOf(b)),
    );
    expect(Responses!.map((r) => r.Item)).toEqual([{ ...a, ssn: "987-65-4321" }, b]);
  });

  it("a failed condition carries the decrypted item: isConditionCheckFailed and isTransactionCancelled give it formatted", async () => {
    const ada = user();
    await User.build(PutItemCommand).item(ada).send();
    const before = await stored(ada);

    const put = User.build(PutItemCommand)
      .item(user({ pk: ada.pk, ssn: "987-65-4321" }))
      .options({
        condition: { attr: "pk", exists: false },
        returnValuesOnConditionFalse: "ALL_OLD",
      });
    const error = await put.send().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConditionCheckFailed(error, User)).toBe(true);
    expect(isConditionCheckFailed(error, User) && error.FormattedItem).toEqual(ada);

    const transaction = User.build(PutTransaction)
      .item(user({ pk: ada.pk, ssn: "987-65-4321" }))
      .options({
        condition: { attr: "pk", exists: false },
        returnValuesOnConditionFalse: "ALL_OLD",
      });
    const canceled = await executeTransactWrite(transaction).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTransactionCancelled(canceled, transaction)).toBe(true);
    expect(
      isTransactionCancelled(canceled, transaction) && canceled.CancellationReasons?.[0],
    ).toMatchObject({ Code: "ConditionalCheckFailed", FormattedItem: ada });
    expect(await stored(ada)).toEqual(before);
  });

  it("refuses, with nothing sent, what cannot work on ciphertext: filters and conditions on an encrypted attribute, $add, $sum, $subtract and $get", async () => {
    const ada = user({ balance: 10 });
    await User.build(PutItemCommand).item(ada).send();
    const before = await stored(ada);
    expect(before!.balance).toMatch(/^ENC:/);
    const attempts: [string, () => Promise<unknown>][] = [
      [
        "query filter",
        () =>
          table
            .build(QueryCommand)
            .entities(User)
            .query({ index: "byTeam", partition: ada.team })
            .options({ filters: { User: { attr: "ssn", eq: ada.ssn } } })
            .send(),
      ],
      [
        "scan filter on a nested field",
        () =>
          table
            .build(ScanCommand)
            .entities(User)
            .options({ filters: { User: { attr: "card.number", beginsWith: "4111" } } })
            .send(),
      ],
      [
        "update condition",
        () =>
          User.build(UpdateItemCommand)
            .item({ ...keyOf(ada), name: "X" })
            .options({ condition: { attr: "ssn", eq: ada.ssn } })
            .send(),
      ],
      [
        "$add",
        () =>
          User.build(UpdateItemCommand)
            .item({ ...keyOf(ada), balance: $add(5) })
            .send(),
      ],
      [
        "$sum",
        () =>
          User.build(UpdateItemCommand)
            .item({ ...keyOf(ada), balance: $sum(1, 2) })
            .send(),
      ],
      [
        "$subtract",
        () =>
          User.build(UpdateItemCommand)
            .item({ ...keyOf(ada), balance: $subtract($get("balance"), 5) })
            .send(),
      ],
      [
        "$get (a copy of an encrypted attribute)",
        () =>
          User.build(UpdateItemCommand)
            .item({ ...keyOf(ada), name: $get("ssn") })
            .send(),
      ],
    ];
    for (const [what, attempt] of attempts) {
      const error = await refusal(attempt());
      expect({ what, code: error.code }).toEqual({
        what,
        code: "expression.unsupportedOnEncrypted",
      });
    }
    expect(await stored(ada)).toEqual(before);
  });

  it("filters on attributes that are not encrypted, and existence conditions on encrypted ones, pass", async () => {
    const ada = user({ team: `team${next++}` });
    await User.build(PutItemCommand).item(ada).send();
    const found = await table
      .build(QueryCommand)
      .entities(User)
      .query({ index: "byTeam", partition: ada.team })
      .options({
        filters: {
          User: {
            and: [
              { attr: "name", eq: "Ada" },
              { attr: "ssn", exists: true },
            ],
          },
        },
      })
      .send();
    expect(found.Items).toEqual([ada]);
  });
});
