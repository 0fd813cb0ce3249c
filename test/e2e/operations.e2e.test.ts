import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateQuery,
  paginateScan,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { KmsTestServer } from "../../src/testing";
import { createTable, deleteTable, plainDynamoClient, uniqueTableName } from "../support/dynamodb";
import { pluginClients, type PluginClients } from "../support/e2e-setup";

/** The same suite for both schemes: envelope (data keys) and kms (one KMS call per value). */
describe.each(["envelope", "kms"] as const)("scheme %s", (scheme) => {
  const users = uniqueTableName("users");
  const plainTable = uniqueTableName("plain");
  let kms: KmsTestServer;
  let plain: DynamoDBClient;
  let app: PluginClients;

  const SAMPLE = {
    pk: "user#1",
    sk: "profile",
    name: "Ada",
    ssn: "123-45-6789",
    card: { number: "4111111111111111", expiry: "12/30" },
    addresses: [{ zip: "94107", city: "SF" }, { zip: "10001" }],
    score: 98.25,
    flags: new Set(["a", "b"]),
  };
  const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };

  beforeAll(async () => {
    kms = await KmsTestServer.start();
    kms.createKey({ alias: "alias/app-data" });
    kms.createKey({ alias: "alias/pii" });
    plain = plainDynamoClient();
    await createTable(plain, users, { partitionKey: "pk", sortKey: "sk" });
    await createTable(plain, plainTable, { partitionKey: "pk" });
    app = pluginClients(kms, {
      keyId: "alias/app-data",
      scheme,
      tables: {
        [users]: {
          partitionKey: "pk",
          sortKey: "sk",
          fields: {
            ssn: {},
            "card.number": { context: { purpose: "payments" } },
            "addresses[].zip": { keyId: "alias/pii" },
            score: {},
            flags: {},
          },
        },
      },
    });
  });

  afterAll(async () => {
    app.destroy();
    await deleteTable(plain, users);
    await deleteTable(plain, plainTable);
    plain.destroy();
    await kms.stop();
  });

  async function stored(key: Record<string, string>, table = users): Promise<Record<string, any>> {
    const out = await plain.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: key.pk! }, ...(key.sk ? { sk: { S: key.sk } } : {}) },
      }),
    );
    return out.Item!;
  }

  describe(`on DynamoDB Local and the KMS test server, scheme ${scheme}`, () => {
    it("PutCommand stores ciphertext, which a plain client sees, and GetCommand reads back the item", async () => {
      await app.doc.send(new PutCommand({ TableName: users, Item: SAMPLE }));
      const raw = await stored(KEY);
      for (const value of [
        raw.ssn.S,
        raw.card.M.number.S,
        raw.addresses.L[0].M.zip.S,
        raw.addresses.L[1].M.zip.S,
        raw.score.S,
        raw.flags.S,
      ]) {
        expect(value).toMatch(/^ENC:[A-Za-z0-9+/]+=*$/);
      }
      expect(raw.card.M.expiry).toEqual({ S: "12/30" });
      expect(JSON.stringify(raw)).not.toMatch(/123-45-6789|4111111111111111|94107/);
      expect((await app.doc.send(new GetCommand({ TableName: users, Key: KEY }))).Item).toEqual(
        SAMPLE,
      );
      expect(
        unmarshall(
          (
            await app.client.send(
              new GetItemCommand({
                TableName: users,
                Key: { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } },
              }),
            )
          ).Item!,
        ),
      ).toEqual(SAMPLE);
    });

    it("the low-level client round-trips every type", async () => {
      const Item = {
        pk: { S: "types" },
        sk: { S: "1" },
        ssn: {
          M: {
            s: { S: "x" },
            n: { N: "-12.500" },
            b: { B: new Uint8Array([0, 1, 2]) },
            t: { BOOL: true },
            z: { NULL: true },
            l: { L: [{ N: "1" }] },
          },
        },
        score: { N: "12345678901234567890.123456789" },
        flags: { NS: ["1", "2.5"] },
      };
      await app.client.send(new PutItemCommand({ TableName: users, Item }));
      const raw = await stored({ pk: "types", sk: "1" });
      expect(Object.values(raw).filter((v: any) => v.S?.startsWith("ENC:"))).toHaveLength(3);
      const out = await app.client.send(
        new GetItemCommand({ TableName: users, Key: { pk: { S: "types" }, sk: { S: "1" } } }),
      );
      expect(out.Item).toEqual({ ...Item, ssn: { M: { ...Item.ssn.M, n: { N: "-12.500" } } } });
    });

    it("Query and Scan paginators decrypt every item of every page", async () => {
      const items = Array.from({ length: 23 }, (_, i) => ({
        ...SAMPLE,
        pk: "paged",
        sk: `item${String(i).padStart(2, "0")}`,
        ssn: `000-00-${i}`,
      }));
      await Promise.all(
        items.map((Item) => app.doc.send(new PutCommand({ TableName: users, Item }))),
      );
      const queried = [];
      for await (const page of paginateQuery(
        { client: app.doc, pageSize: 5 },
        {
          TableName: users,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": "paged" },
        },
      )) {
        queried.push(...page.Items!);
      }
      expect(queried).toEqual(items);
      const scanned = [];
      for await (const page of paginateScan(
        { client: app.doc, pageSize: 4 },
        {
          TableName: users,
          FilterExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": "paged" },
        },
      ))
        scanned.push(...page.Items!);
      expect(scanned.filter((i) => i.pk === "paged")).toHaveLength(23);
      expect(scanned.find((i) => i.sk === "item07")!.ssn).toBe("000-00-7");
    });

    it("BatchWriteCommand of 25 items, then BatchGetCommand across tables", async () => {
      const items = Array.from({ length: 25 }, (_, i) => ({
        ...SAMPLE,
        pk: "batch",
        sk: `b${i}`,
        ssn: `batch-${i}`,
      }));
      await app.doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [users]: items.slice(0, 24).map((Item) => ({ PutRequest: { Item } })),
            [plainTable]: [{ PutRequest: { Item: { pk: "p", ssn: "open" } } }],
          },
        }),
      );
      await app.doc.send(
        new BatchWriteCommand({
          RequestItems: { [users]: [{ PutRequest: { Item: items[24]! } }] },
        }),
      );
      expect((await stored({ pk: "batch", sk: "b3" })).ssn.S).toMatch(/^ENC:/);
      expect((await stored({ pk: "p" }, plainTable)).ssn).toEqual({ S: "open" });
      const out = await app.doc.send(
        new BatchGetCommand({
          RequestItems: {
            [users]: {
              Keys: items.map((i) => ({ pk: i.pk, sk: i.sk })),
              ProjectionExpression: "ssn, sk",
            },
            [plainTable]: { Keys: [{ pk: "p" }] },
          },
        }),
      );
      expect(
        out.Responses![users]!.sort((a, b) => Number(a.sk.slice(1)) - Number(b.sk.slice(1))),
      ).toEqual(items.map((i) => ({ sk: i.sk, ssn: i.ssn })));
      expect(out.Responses![plainTable]).toEqual([{ pk: "p", ssn: "open" }]);
    });

    it("TransactWriteCommand and TransactGetCommand", async () => {
      await app.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: users, Item: { ...SAMPLE, pk: "tx", sk: "1" } } },
            { Put: { TableName: plainTable, Item: { pk: "tx", note: "plain" } } },
          ],
        }),
      );
      expect((await stored({ pk: "tx", sk: "1" })).ssn.S).toMatch(/^ENC:/);
      const out = await app.doc.send(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: plainTable, Key: { pk: "tx" } } },
            { Get: { TableName: users, Key: { pk: "tx", sk: "1" } } },
          ],
        }),
      );
      expect(out.Responses!.map((r) => r.Item)).toEqual([
        { pk: "tx", note: "plain" },
        { ...SAMPLE, pk: "tx", sk: "1" },
      ]);
    });

    it("a cancelled transaction carries the existing item decrypted", async () => {
      await app.doc.send(
        new PutCommand({ TableName: users, Item: { ...SAMPLE, pk: "cancel", sk: "1" } }),
      );
      const error = await app.doc
        .send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: users,
                  Item: { ...SAMPLE, pk: "cancel", sk: "1" },
                  ConditionExpression: "attribute_not_exists(pk)",
                  ReturnValuesOnConditionCheckFailure: "ALL_OLD",
                },
              },
            ],
          }),
        )
        .then(
          () => undefined,
          (e: unknown) => e as any,
        );
      expect(error.name).toBe("TransactionCanceledException");
      expect(unmarshall(error.CancellationReasons[0].Item)).toEqual({
        ...SAMPLE,
        pk: "cancel",
        sk: "1",
      });
    });

    it("ConditionalCheckFailedException carries the existing item decrypted", async () => {
      await app.doc.send(
        new PutCommand({ TableName: users, Item: { ...SAMPLE, pk: "cond", sk: "1" } }),
      );
      const error = await app.client
        .send(
          new PutItemCommand({
            TableName: users,
            Item: { pk: { S: "cond" }, sk: { S: "1" } },
            ConditionExpression: "attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        )
        .then(
          () => undefined,
          (e: unknown) => e as any,
        );
      expect(error.name).toBe("ConditionalCheckFailedException");
      expect(unmarshall(error.Item)).toEqual({ ...SAMPLE, pk: "cond", sk: "1" });
    });

    it("PutCommand and DeleteCommand return old items decrypted; UpdateCommand on other attributes returns ALL_NEW decrypted", async () => {
      const item = { ...SAMPLE, pk: "rv", sk: "1" };
      await app.doc.send(new PutCommand({ TableName: users, Item: item }));
      const put = await app.doc.send(
        new PutCommand({
          TableName: users,
          Item: { ...item, ssn: "new" },
          ReturnValues: "ALL_OLD",
        }),
      );
      expect(put.Attributes).toEqual(item);
      const updated = await app.doc.send(
        new UpdateCommand({
          TableName: users,
          Key: { pk: "rv", sk: "1" },
          UpdateExpression: "SET #n = :n",
          ExpressionAttributeNames: { "#n": "name" },
          ExpressionAttributeValues: { ":n": "Grace" },
          ReturnValues: "ALL_NEW",
        }),
      );
      expect(updated.Attributes).toEqual({ ...item, ssn: "new", name: "Grace" });
      const updatedNew = await app.client.send(
        new UpdateItemCommand({
          TableName: users,
          Key: { pk: { S: "rv" }, sk: { S: "1" } },
          UpdateExpression: "SET #n = :n",
          ExpressionAttributeNames: { "#n": "name" },
          ExpressionAttributeValues: { ":n": { S: "Ada" } },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      expect(updatedNew.Attributes).toEqual({ name: { S: "Ada" } });
      const deleted = await app.doc.send(
        new DeleteCommand({
          TableName: users,
          Key: { pk: "rv", sk: "1" },
          ReturnValues: "ALL_OLD",
        }),
      );
      expect(deleted.Attributes).toEqual({ ...item, ssn: "new" });
    });

    it("a projection of encrypted fields without the keys returns exactly what was asked for", async () => {
      await app.doc.send(
        new PutCommand({ TableName: users, Item: { ...SAMPLE, pk: "proj", sk: "1" } }),
      );
      const out = await app.doc.send(
        new GetCommand({
          TableName: users,
          Key: { pk: "proj", sk: "1" },
          ProjectionExpression: "#s, addresses",
          ExpressionAttributeNames: { "#s": "ssn" },
        }),
      );
      expect(out.Item).toEqual({ ssn: SAMPLE.ssn, addresses: SAMPLE.addresses });
    });
  });
});
