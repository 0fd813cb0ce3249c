import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand as LowQueryCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { EncryptionError } from "../../src";
import { SAMPLE, SAMPLE_SECRETS, setup } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };
const isEnc = (v: unknown) => typeof v === "string" && v.startsWith("ENC:");

function expectEncryptedOnWire(wireItem: any): void {
  expect(isEnc(wireItem.ssn.S)).toBe(true);
  expect(isEnc(wireItem.card.M.number.S)).toBe(true);
  expect(wireItem.card.M.expiry).toEqual({ S: "12/30" });
  for (const address of wireItem.addresses.L) expect(isEnc(address.M.zip.S)).toBe(true);
  expect(wireItem.addresses.L[0].M.city).toEqual({ S: "SF" });
  expect(wireItem.name).toEqual({ S: "Ada" });
  expect(wireItem.pk).toEqual({ S: SAMPLE.pk });
  const text = JSON.stringify(wireItem);
  for (const secret of SAMPLE_SECRETS) expect(text).not.toContain(secret);
}

describe("Document client", () => {
  it("PutCommand encrypts the configured fields on the wire and GetCommand decrypts them", async () => {
    const { fake, doc } = setup();
    const input = structuredClone(SAMPLE);
    await doc.send(new PutCommand({ TableName: "Users", Item: input }));
    expect(input).toEqual(SAMPLE); // the caller's object is unchanged
    expectEncryptedOnWire(fake.last("PutItem").body.Item);
    const out = await doc.send(new GetCommand({ TableName: "Users", Key: KEY }));
    expect(out.Item).toEqual(SAMPLE);
  });

  it("PutCommand with ReturnValues ALL_OLD returns the old item decrypted", async () => {
    const { doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const out = await doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { ...SAMPLE, ssn: "999-99-9999" },
        ReturnValues: "ALL_OLD",
      }),
    );
    expect(out.Attributes).toEqual(SAMPLE);
  });

  it("DeleteCommand with ReturnValues ALL_OLD returns the deleted item decrypted", async () => {
    const { doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const out = await doc.send(
      new DeleteCommand({ TableName: "Users", Key: KEY, ReturnValues: "ALL_OLD" }),
    );
    expect(out.Attributes).toEqual(SAMPLE);
  });

  it("QueryCommand and ScanCommand decrypt every item", async () => {
    const { doc } = setup();
    const items = [1, 2, 3].map((i) => ({ ...SAMPLE, sk: `item${i}`, ssn: `000-00-000${i}` }));
    for (const Item of items) await doc.send(new PutCommand({ TableName: "Users", Item }));
    const q = await doc.send(
      new QueryCommand({
        TableName: "Users",
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": SAMPLE.pk },
      }),
    );
    expect(q.Items).toEqual(items);
    const s = await doc.send(new ScanCommand({ TableName: "Users" }));
    expect(s.Items).toEqual(items);
  });

  it("UpdateCommand that touches no encrypted path passes, and ALL_NEW comes back decrypted", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    expectEncryptedOnWire(stored);
    // The fake does not apply update expressions: answer as DynamoDB would, with the stored (encrypted) item and the new name.
    fake.override = ({ operation, body }) =>
      operation === "UpdateItem"
        ? {
            status: 200,
            body: { Attributes: { ...stored, name: body.ExpressionAttributeValues[":n"] } },
          }
        : undefined;
    const out = await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET #n = :n",
        ExpressionAttributeNames: { "#n": "name" },
        ExpressionAttributeValues: { ":n": "Grace" },
        ReturnValues: "ALL_NEW",
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe("SET #n = :n");
    expect(wire.ExpressionAttributeValues).toEqual({ ":n": { S: "Grace" } });
    expect(out.Attributes).toEqual({ ...SAMPLE, name: "Grace" });
  });

  it("BatchWriteCommand encrypts every put and BatchGetCommand decrypts every table's items", async () => {
    const { fake, doc } = setup();
    const users = [1, 2].map((i) => ({ ...SAMPLE, sk: `b${i}` }));
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          Users: users.map((Item) => ({ PutRequest: { Item } })),
          Plain: [{ PutRequest: { Item: { pk: "p1", ssn: "not-configured-here" } } }],
        },
      }),
    );
    const wire = fake.last("BatchWriteItem").body.RequestItems;
    for (const r of wire.Users) expectEncryptedOnWire(r.PutRequest.Item);
    expect(wire.Plain[0].PutRequest.Item.ssn).toEqual({ S: "not-configured-here" });
    const out = await doc.send(
      new BatchGetCommand({
        RequestItems: {
          Users: { Keys: users.map((u) => ({ pk: u.pk, sk: u.sk })) },
          Plain: { Keys: [{ pk: "p1" }] },
        },
      }),
    );
    expect(out.Responses!.Users).toEqual(users);
    expect(out.Responses!.Plain).toEqual([{ pk: "p1", ssn: "not-configured-here" }]);
  });

  it("BatchWriteCommand gives UnprocessedItems back as the caller's plaintext, and resending encrypts them once", async () => {
    const { fake, doc } = setup();
    fake.unprocessedPuts = 1;
    const items = [1, 2].map((i) => ({ ...SAMPLE, sk: `u${i}` }));
    const out = await doc.send(
      new BatchWriteCommand({
        RequestItems: { Users: items.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    expect(out.UnprocessedItems).toEqual({ Users: [{ PutRequest: { Item: items[0] } }] });
    await doc.send(new BatchWriteCommand({ RequestItems: out.UnprocessedItems! }));
    expectEncryptedOnWire(fake.last("BatchWriteItem").body.RequestItems.Users[0].PutRequest.Item);
    expect(
      (await doc.send(new GetCommand({ TableName: "Users", Key: { pk: SAMPLE.pk, sk: "u1" } })))
        .Item,
    ).toEqual(items[0]);
  });

  it("TransactWriteCommand encrypts puts and TransactGetCommand decrypts by position, across tables", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: "Plain", Item: { pk: "p1", ssn: "plain" } } },
          { Put: { TableName: "Users", Item: SAMPLE } },
          {
            ConditionCheck: {
              TableName: "Orders",
              Key: { pk: "o1" },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    );
    expectEncryptedOnWire(fake.last("TransactWriteItems").body.TransactItems[1].Put.Item);
    const out = await doc.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: "Plain", Key: { pk: "p1" } } },
          { Get: { TableName: "Users", Key: KEY } },
        ],
      }),
    );
    expect(out.Responses!.map((r) => r.Item)).toEqual([{ pk: "p1", ssn: "plain" }, SAMPLE]);
  });

  it("TransactionCanceledException carries the conflicting item decrypted", async () => {
    const { doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const error = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: "Plain", Item: { pk: "p2" } } },
            {
              Put: {
                TableName: "Users",
                Item: SAMPLE,
                ConditionExpression: "attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e as any);
    expect(error.name).toBe("TransactionCanceledException");
    expect(error.CancellationReasons[0]).toEqual({ Code: "None" });
    // The SDK leaves items in errors as AttributeValues, also for the Document client.
    expect(error.CancellationReasons[1].Item).toEqual(marshall(SAMPLE));
  });

  it("ConditionalCheckFailedException carries the existing item decrypted", async () => {
    const { doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const error = await doc
      .send(
        new PutCommand({
          TableName: "Users",
          Item: SAMPLE,
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      )
      .catch((e: unknown) => e as any);
    expect(error.name).toBe("ConditionalCheckFailedException");
    expect(error.Item).toEqual(marshall(SAMPLE));
  });
});

describe("low-level client", () => {
  it("PutItemCommand and GetItemCommand round-trip AttributeValues", async () => {
    const { fake, client } = setup();
    const Item = {
      pk: { S: "u" },
      sk: { S: "s" },
      ssn: { S: "123-45-6789" },
      card: { M: { number: { S: "4111" } } },
      addresses: { L: [{ M: { zip: { S: "94107" } } }] },
    };
    const input = structuredClone(Item);
    await client.send(new PutItemCommand({ TableName: "Users", Item: input }));
    expect(input).toEqual(Item);
    const wire = fake.last("PutItem").body.Item;
    expect(
      isEnc(wire.ssn.S) && isEnc(wire.card.M.number.S) && isEnc(wire.addresses.L[0].M.zip.S),
    ).toBe(true);
    const out = await client.send(
      new GetItemCommand({ TableName: "Users", Key: { pk: { S: "u" }, sk: { S: "s" } } }),
    );
    expect(out.Item).toEqual(Item);
    const q = await client.send(
      new LowQueryCommand({
        TableName: "Users",
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": { S: "u" } },
      }),
    );
    expect(q.Items).toEqual([Item]);
  });

  it("BatchWriteItemCommand gives unprocessed items back as sent", async () => {
    const { fake, client } = setup();
    fake.unprocessedPuts = 5;
    const Item = { pk: { S: "u" }, sk: { S: "s" }, ssn: { S: "123-45-6789" } };
    const out = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          Users: [
            { PutRequest: { Item } },
            { DeleteRequest: { Key: { pk: { S: "x" }, sk: { S: "y" } } } },
          ],
        },
      }),
    );
    expect(out.UnprocessedItems).toEqual({ Users: [{ PutRequest: { Item } }] });
  });

  it("DeleteItemCommand passes the key through unencrypted", async () => {
    const { fake, client } = setup();
    await client.send(
      new DeleteItemCommand({ TableName: "Users", Key: { pk: { S: "u" }, sk: { S: "s" } } }),
    );
    expect(fake.last("DeleteItem").body.Key).toEqual({ pk: { S: "u" }, sk: { S: "s" } });
  });
});

describe("projections", () => {
  it("adds the key attributes a projection of encrypted fields needs, and removes them from the result", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const input = {
      TableName: "Users",
      Key: KEY,
      ProjectionExpression: "ssn, #c",
      ExpressionAttributeNames: { "#c": "card" },
    };
    const out = await doc.send(new GetCommand(input));
    expect(input.ExpressionAttributeNames).toEqual({ "#c": "card" });
    expect(out.Item).toEqual({ ssn: SAMPLE.ssn, card: SAMPLE.card });
    const wire = fake.last("GetItem").body;
    expect(wire.ProjectionExpression).toBe("ssn, #c, #dfe_key0, #dfe_key1");
    expect(wire.ExpressionAttributeNames).toEqual({
      "#c": "card",
      "#dfe_key0": "pk",
      "#dfe_key1": "sk",
    });
  });

  it("leaves a projection alone when it has the keys or no encrypted field", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    expect(
      (
        await doc.send(
          new GetCommand({ TableName: "Users", Key: KEY, ProjectionExpression: "pk, sk, ssn" }),
        )
      ).Item,
    ).toEqual({ pk: SAMPLE.pk, sk: SAMPLE.sk, ssn: SAMPLE.ssn });
    expect(fake.last("GetItem").body.ProjectionExpression).toBe("pk, sk, ssn");
    expect(
      (
        await doc.send(
          new GetCommand({
            TableName: "Users",
            Key: KEY,
            ProjectionExpression: "#n",
            ExpressionAttributeNames: { "#n": "name" },
          }),
        )
      ).Item,
    ).toEqual({ name: "Ada" });
    expect(fake.last("GetItem").body.ProjectionExpression).toBe("#n");
  });

  it("handles legacy AttributesToGet the same way", async () => {
    const { fake, client } = setup();
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "u" }, sk: { S: "s" }, ssn: { S: "1" } },
      }),
    );
    const out = await client.send(
      new GetItemCommand({
        TableName: "Users",
        Key: { pk: { S: "u" }, sk: { S: "s" } },
        AttributesToGet: ["ssn"],
      }),
    );
    expect(out.Item).toEqual({ ssn: { S: "1" } });
    expect(fake.last("GetItem").body.AttributesToGet).toEqual(["ssn", "pk", "sk"]);
  });

  it("refuses a projection inside an encrypted value", async () => {
    const { fake, doc } = setup();
    const error = await doc
      .send(new GetCommand({ TableName: "Users", Key: KEY, ProjectionExpression: "card.number.x" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("operation.unsupported");
    expect(fake.requests).toHaveLength(0);
  });

  it("gives UnprocessedKeys of BatchGetItem back with the caller's projection", async () => {
    const { fake, doc } = setup();
    fake.override = (request) =>
      request.operation === "BatchGetItem"
        ? {
            status: 200,
            body: { Responses: {}, UnprocessedKeys: { Users: request.body.RequestItems.Users } },
          }
        : undefined;
    const out = await doc.send(
      new BatchGetCommand({
        RequestItems: { Users: { Keys: [KEY], ProjectionExpression: "ssn" } },
      }),
    );
    expect(fake.last("BatchGetItem").body.RequestItems.Users.ProjectionExpression).toBe(
      "ssn, #dfe_key0, #dfe_key1",
    );
    expect(out.UnprocessedKeys).toEqual({ Users: { Keys: [KEY], ProjectionExpression: "ssn" } });
  });
});
