/**
 * ElectroDB 3 on DynamoDB Local, with the plugin on the DocumentClient it is
 * given: every operation through ElectroDB's own API, the stored form read
 * back with a plain client, and the refusals ElectroDB users will meet.
 */
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { Entity, Service } from "electrodb";
import { EncryptionError } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

const table = uniqueTableName("orm-electrodb");
let kms: KmsTestServer;
let plain: DynamoDBClient;
let app: PluginClients;

const SECRETS = ["123-45-6789", "987-65-4321", "4111111111111111", "94107", "10001", "30301"];

function userEntity(client: PluginClients["doc"]) {
  return new Entity(
    {
      model: { entity: "user", version: "1", service: "app" },
      attributes: {
        id: { type: "string", required: true },
        team: { type: "string", required: true },
        name: { type: "string" },
        ssn: { type: "string" },
        balance: { type: "number" },
        card: {
          type: "map",
          properties: { number: { type: "string" }, expiry: { type: "string" } },
        },
        addresses: {
          type: "list",
          items: {
            type: "map",
            properties: { zip: { type: "string" }, city: { type: "string" } },
          },
        },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["id"] }, sk: { field: "sk", composite: [] } },
        byTeam: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["team"] },
          sk: { field: "gsi1sk", composite: ["id"] },
        },
      },
    },
    { client, table },
  );
}

let users: ReturnType<typeof userEntity>;
let service: Service<{ users: ReturnType<typeof userEntity> }>;

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  plain = plainDynamoClient();
  await createTable(plain, table, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [{ name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" }],
  });
  app = pluginClients(kms, {
    keyId: "alias/app-data",
    tables: {
      [table]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: {}, balance: {}, "card.number": {}, "addresses[].zip": {} },
      },
    },
  });
  users = userEntity(app.doc);
  service = new Service({ users });
});

afterAll(async () => {
  app.destroy();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});

let next = 0;
const user = (overrides: Record<string, unknown> = {}) => ({
  id: `u${next++}`,
  team: "blue",
  name: "Ada",
  ssn: "123-45-6789",
  card: { number: "4111111111111111", expiry: "12/30" },
  addresses: [{ zip: "94107", city: "SF" }],
  ...overrides,
});

/** The item as DynamoDB stores it, read with a plain client and unmarshalled. */
async function stored(id: string): Promise<Record<string, any> | undefined> {
  const { Item } = await plain.send(new GetItemCommand({ TableName: table, Key: keyOf(id) }));
  return Item && unmarshall(Item);
}

/** The primary key ElectroDB builds for a user id. */
function keyOf(id: string) {
  const params = users.get({ id }).params<{ Key: { pk: string; sk: string } }>();
  return { pk: { S: params.Key.pk }, sk: { S: params.Key.sk } };
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

/** The EncryptionError an ElectroDB call failed with: ElectroDB wraps client errors in an ElectroError whose `cause` is ours. */
async function refusal(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof EncryptionError)) cause = cause.cause;
  expect(cause).toBeInstanceOf(EncryptionError);
  for (const secret of SECRETS) expect((cause as Error).message).not.toContain(secret);
  return cause as EncryptionError;
}

describe("ElectroDB 3 through the plugin (DynamoDB Local)", () => {
  it("put stores the configured fields as ENC: strings, and get reads them back decrypted", async () => {
    const ada = user();
    await users.put(ada).go();
    expectEncrypted(await stored(ada.id), { addresses: 1 });
    expect((await users.get({ id: ada.id }).go()).data).toEqual(ada);
  });

  it("query on the table and on a GSI returns decrypted items", async () => {
    const team = `team${next++}`;
    const a = user({ team });
    const b = user({ team, ssn: "987-65-4321" });
    await users.put(a).go();
    await users.put(b).go();
    expect((await users.query.byId({ id: a.id }).go()).data).toEqual([a]);
    const byTeam = (await users.query.byTeam({ team }).go()).data;
    expect(byTeam.sort((x, y) => x.id.localeCompare(y.id))).toEqual([a, b]);
  });

  it("update set (top-level and nested), append, and remove store encrypted values that read back decrypted", async () => {
    const ada = user();
    await users.put(ada).go();
    const { data } = await users
      .update({ id: ada.id })
      .set({ ssn: "987-65-4321", name: "Ada L." })
      .data(({ card }, { set }) => set(card.number, "4000000000000002"))
      .go({ response: "all_new" });
    expect(data).toMatchObject({ ssn: "987-65-4321", card: { number: "4000000000000002" } });
    expect((await stored(ada.id))!.ssn).toMatch(/^ENC:/);
    expect((await stored(ada.id))!.card.number).toMatch(/^ENC:/);

    // ElectroDB's append: SET #addresses = list_append(if_not_exists(#addresses, :default), :new)
    const append = users
      .update({ id: ada.id })
      .append({ addresses: [{ zip: "10001", city: "NY" }] })
      .params<{ UpdateExpression: string }>();
    expect(append.UpdateExpression).toMatch(
      /list_append\(if_not_exists\(#addresses, :\w+\), :\w+\)/,
    );
    await users
      .update({ id: ada.id })
      .append({ addresses: [{ zip: "10001", city: "NY" }] })
      .go();
    expectEncrypted(await stored(ada.id), { addresses: 2 });

    await users.update({ id: ada.id }).remove(["ssn"]).go();
    expect((await stored(ada.id))!.ssn).toBeUndefined();
    expect((await users.get({ id: ada.id }).go()).data).toEqual({
      ...ada,
      name: "Ada L.",
      ssn: undefined,
      card: { number: "4000000000000002", expiry: "12/30" },
      addresses: [
        { zip: "94107", city: "SF" },
        { zip: "10001", city: "NY" },
      ],
    });
  });

  it("append onto a user with no addresses yet starts the list from the if_not_exists default", async () => {
    const ada = user({ addresses: undefined });
    await users.put(ada).go();
    await users
      .update({ id: ada.id })
      .append({ addresses: [{ zip: "30301", city: "ATL" }] })
      .go();
    expect((await stored(ada.id))!.addresses[0].zip).toMatch(/^ENC:/);
    expect((await users.get({ id: ada.id }).go()).data!.addresses).toEqual([
      { zip: "30301", city: "ATL" },
    ]);
  });

  it("batch put and batch get: each item stored encrypted and read back decrypted", async () => {
    const batch = [user(), user({ ssn: "987-65-4321" }), user()];
    expect((await users.put(batch).go()).unprocessed).toEqual([]);
    for (const u of batch) expectEncrypted(await stored(u.id), { addresses: 1 });
    const { data, unprocessed } = await users.get(batch.map(({ id }) => ({ id }))).go();
    expect(unprocessed).toEqual([]);
    expect(data.sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      [...batch].sort((x, y) => x.id.localeCompare(y.id)),
    );
    await users.delete(batch.map(({ id }) => ({ id }))).go();
    expect(await stored(batch[0]!.id)).toBeUndefined();
  });

  it("transactions: a write transaction stores encrypted values and a get transaction reads them decrypted", async () => {
    const a = user();
    const b = user();
    await users.put(a).go();
    const written = await service.transaction
      .write(({ users: u }) => [
        u.put(b).commit(),
        u.update({ id: a.id }).set({ ssn: "987-65-4321" }).commit(),
      ])
      .go();
    expect(written.canceled).toBe(false);
    expectEncrypted(await stored(b.id), { addresses: 1 });
    expect((await stored(a.id))!.ssn).toMatch(/^ENC:/);
    const read = await service.transaction
      .get(({ users: u }) => [u.get({ id: a.id }).commit(), u.get({ id: b.id }).commit()])
      .go();
    expect(read.data.map((r) => r.item)).toEqual([{ ...a, ssn: "987-65-4321" }, b]);
  });

  it("a failed condition gives back the decrypted item: create with returnOnConditionCheckFailure, and a canceled transaction", async () => {
    const ada = user();
    await users.put(ada).go();
    const before = await stored(ada.id);

    const created = await users.create(user({ id: ada.id, ssn: "987-65-4321" })).go({
      returnOnConditionCheckFailure: "all_old",
    });
    expect(created).toEqual({ rejected: true, data: ada });

    const canceled = await service.transaction
      .write(({ users: u }) => [
        u.create(user({ id: ada.id, ssn: "987-65-4321" })).commit({ response: "all_old" }),
      ])
      .go();
    expect(canceled.canceled).toBe(true);
    expect(canceled.data[0]).toMatchObject({
      rejected: true,
      code: "ConditionalCheckFailed",
      item: ada,
    });
    expect(await stored(ada.id)).toEqual(before);
  });

  it("refuses, with nothing sent, what cannot work on ciphertext: where/match on an encrypted attribute, a condition comparing one, add and subtract", async () => {
    const ada = user({ balance: 10 });
    await users.put(ada).go();
    const before = await stored(ada.id);
    expect(before!.balance).toMatch(/^ENC:/);
    const attempts: [string, () => Promise<unknown>][] = [
      [
        "query where",
        () =>
          users.query
            .byTeam({ team: ada.team })
            .where(({ ssn }, { eq }) => eq(ssn, ada.ssn))
            .go(),
      ],
      [
        "scan where on a nested field",
        () => users.scan.where(({ card }, { eq }) => eq(card.number, ada.card.number)).go(),
      ],
      ["match", () => users.match({ ssn: ada.ssn }).go()],
      [
        "update where",
        () =>
          users
            .update({ id: ada.id })
            .set({ name: "X" })
            .where(({ ssn }, { eq }) => eq(ssn, ada.ssn))
            .go(),
      ],
      [
        "delete where",
        () =>
          users
            .delete({ id: ada.id })
            .where(({ ssn }, { begins }) => begins(ssn, "123"))
            .go(),
      ],
      ["add", () => users.update({ id: ada.id }).add({ balance: 5 }).go()],
      ["subtract", () => users.update({ id: ada.id }).subtract({ balance: 5 }).go()],
    ];
    for (const [what, attempt] of attempts) {
      const error = await refusal(attempt());
      expect({ what, code: error.code }).toEqual({
        what,
        code: "expression.unsupportedOnEncrypted",
      });
    }
    expect(await stored(ada.id)).toEqual(before);
  });

  it("where/filters on attributes that are not encrypted, and existence checks on encrypted ones, pass", async () => {
    const ada = user({ team: `team${next++}` });
    await users.put(ada).go();
    const found = await users.query
      .byTeam({ team: ada.team })
      .where(({ name, ssn }, { eq, exists }) => `${eq(name, "Ada")} AND ${exists(ssn)}`)
      .go();
    expect(found.data).toEqual([ada]);
  });
});
