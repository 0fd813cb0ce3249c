import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { type EncryptionError, REQUEST_MIDDLEWARE_NAME, fieldEncryption } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { expectRefused } from "../support/refused";
import { SAMPLE, setup, usersConfig } from "../support/plugin-setup";

describe("requests the plugin cannot prove safe are refused with nothing sent", () => {
  it("an operation the plugin does not know, naming a configured table", async () => {
    const { fake, client } = setup();
    // A future operation, as if the SDK had gained one: rewrite the target before the plugin sees it.
    client.middlewareStack.addRelativeTo(
      (next: any) => (args: any) => {
        args.request.headers["x-amz-target"] = "DynamoDB_20120810.FutureWriteItem";
        return next(args);
      },
      { relation: "before", toMiddleware: REQUEST_MIDDLEWARE_NAME, name: "futureOperation" },
    );
    await expectRefused(
      client.send(new DescribeTableCommand({ TableName: "Users" })),
      fake,
      "operation.unknown",
    );
  });

  it("an item without its key attributes cannot be bound, so it is refused", async () => {
    const { fake, doc } = setup();
    await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { pk: "a", ssn: "123-45-6789" } })),
      fake,
      "item.keyMissing",
    );
  });

  it("a batch where one value fails sends nothing", async () => {
    const { fake, doc } = setup(
      usersConfig({}, { fields: { ssn: {}, "card.number": { keyId: "local/missing" } } }),
    );
    const error = await expectRefused(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: "Users", Item: { ...SAMPLE, sk: "1", card: undefined } } },
            { Put: { TableName: "Users", Item: SAMPLE } },
          ],
        }),
      ),
      fake,
      "key.unknownLocalKey",
    );
    expect(error.field).toBe("card.number");
    expect(error.table).toBe("Users");
  });
});

describe("requests that involve no configured table pass through untouched", () => {
  it("sends the same bytes as a client without the plugin, and reads back the same result", async () => {
    const bare = new FakeDynamoDB({ Plain: ["pk"], Users: ["pk", "sk"], Orders: ["pk"] });
    const { fake, doc } = setup();
    const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
    const bareDoc = DynamoDBDocumentClient.from(bare.client());
    for (const d of [doc, bareDoc]) {
      await d.send(new PutCommand({ TableName: "Plain", Item: { pk: "p", ssn: "123-45-6789" } }));
      await d.send(new GetCommand({ TableName: "Plain", Key: { pk: "p" } }));
      await d.send(
        new ScanCommand({
          TableName: "Plain",
          FilterExpression: "ssn = :s",
          ExpressionAttributeValues: { ":s": "1" },
        }),
      );
    }
    expect(fake.requests.map((r) => r.body)).toEqual(bare.requests.map((r) => r.body));
    expect(fake.stored("Plain", { pk: { S: "p" } })).toEqual({
      pk: { S: "p" },
      ssn: { S: "123-45-6789" },
    });
  });

  it("control-plane operations on a configured table pass untouched", async () => {
    const { fake, client } = setup();
    await client.send(new DescribeTableCommand({ TableName: "Users" }));
    await client.send(
      new CreateTableCommand({
        TableName: "Users",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    expect(fake.requests.map((r) => r.operation)).toEqual(["DescribeTable", "CreateTable"]);
  });
});

describe("registration", () => {
  it("middlewareStack.add(fieldEncryption(...)) fails every request with config.registeredWithAdd and sends nothing", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const client = fake.client();
    client.middlewareStack.add(fieldEncryption(usersConfig()));
    const error = await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "123-45-6789" } },
        }),
      ),
      fake,
      "config.registeredWithAdd",
    );
    expect(error.message).toContain("client.middlewareStack.use(fieldEncryption(config))");
  });

  it("registering twice replaces the first registration", () => {
    const client = new FakeDynamoDB({ Users: ["pk", "sk"] }).client();
    client.middlewareStack.use(fieldEncryption(usersConfig()));
    client.middlewareStack.use(fieldEncryption(usersConfig()));
    // Resolved against a command's stack, where deserializerMiddleware is, every entry is listed once.
    const resolved = client.middlewareStack.concat(new GetItemCommand({} as never).middlewareStack);
    if (!resolved.identify().some((n) => n.startsWith("deserializerMiddleware")))
      resolved.add((next) => next, { step: "deserialize", name: "deserializerMiddleware" });
    const names = resolved
      .identify()
      .filter((n) => /^(fieldEncryption|DocumentUnmarshall)/.test(n));
    expect(names).toEqual([
      "fieldEncryptionLogFilterMiddleware - initialize",
      "fieldEncryptionRequestMiddleware - serialize",
      "DocumentUnmarshall - before deserializerMiddleware",
      "fieldEncryptionResponseMiddleware - after DocumentUnmarshall",
    ]);
  });

  it("a stack that unmarshalls before the plugin decrypts is refused (config.unsupportedSdk), never returned undecrypted", async () => {
    const { fake, client, doc } = setup(usersConfig({ allowPlaintext: true }));
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    // An SDK whose Document unmarshalling sits between its deserializer and the plugin.
    const { unmarshall } = await import("@aws-sdk/util-dynamodb");
    const early = ((next: (args: unknown) => Promise<{ output: Record<string, unknown> }>) =>
      async (args: unknown) => {
        const result = await next(args);
        const item = result.output.Item as Record<string, never> | undefined;
        if (item) result.output.Item = unmarshall(item);
        return result;
      }) as never;
    client.middlewareStack.addRelativeTo(early, {
      relation: "after",
      toMiddleware: "fieldEncryptionResponseMiddleware",
      name: "earlyUnmarshall",
    });
    const error = await doc
      .send(new GetCommand({ TableName: "Users", Key: { pk: SAMPLE.pk, sk: SAMPLE.sk } }))
      .then(
        () => undefined,
        (e: unknown) => e as EncryptionError,
      );
    expect(error).toMatchObject({ code: "config.unsupportedSdk" });
    expect(fake.requests).toHaveLength(2);
  });

  it("works when registered on the Document client (which shares the stack)", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
    const low: DynamoDBClient = fake.client();
    const doc = DynamoDBDocumentClient.from(low);
    doc.middlewareStack.use(fieldEncryption(usersConfig()));
    await low.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "123-45-6789" } },
      }),
    );
    expect(fake.last().body.Item.ssn.S).toMatch(/^ENC:/);
  });

  it("accepts a table ARN as TableName", async () => {
    const { fake, client } = setup();
    await client.send(
      new PutItemCommand({
        TableName: "arn:aws:dynamodb:us-east-1:111122223333:table/Users",
        Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "123-45-6789" } },
      }),
    );
    expect(fake.last().body.Item.ssn.S).toMatch(/^ENC:/);
  });
});

describe("values whose shape hides a configured field", () => {
  it.each([
    ["a string where the map holding the field should be", { card: "4111111111111111" }],
    ["a list where a map should be", { card: ["4111111111111111"] }],
    ["a set where the list of maps should be", { addresses: new Set(["94107"]) }],
    ["strings inside the list where maps should be", { addresses: ["94107"] }],
  ])("refuses %s on write (it would be stored unencrypted)", async (_, extra) => {
    const { fake, doc } = setup();
    const error = await expectRefused(
      doc.send(new PutCommand({ TableName: "Users", Item: { pk: "a", sk: "b", ...extra } })),
      fake,
      "value.unsupportedType",
    );
    expect(error.field).toMatch(/card\.number|addresses\[\]\.zip/);
  });

  it("refuses the same through an update, and lets NULL and absent values through", async () => {
    const { fake, doc } = setup();
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "a", sk: "b" },
          UpdateExpression: "SET card = :c",
          ExpressionAttributeValues: { ":c": "4111111111111111" },
        }),
      ),
      fake,
      "value.unsupportedType",
    );
    await doc.send(
      new PutCommand({
        TableName: "Users",
        Item: { pk: "a", sk: "b", card: null, addresses: [null, { city: "x" }] },
      }),
    );
    expect(fake.requests).toHaveLength(1);
  });
});

describe("batch operations keyed by table ARN", () => {
  const arn = "arn:aws:dynamodb:us-east-1:111122223333:table/Users";

  it("BatchWriteItem keyed by the table ARN is encrypted", async () => {
    const { fake, doc } = setup();
    await doc.send(
      new BatchWriteCommand({ RequestItems: { [arn]: [{ PutRequest: { Item: SAMPLE } }] } }),
    );
    const wire = fake.last("BatchWriteItem").body.RequestItems[arn][0].PutRequest.Item;
    expect(wire.ssn.S).toMatch(/^ENC:/);
    expect(JSON.stringify(wire)).not.toContain(SAMPLE.ssn);
  });

  it("BatchGetItem keyed by the table ARN is decrypted", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } });
    fake.override = (request) =>
      request.operation === "BatchGetItem"
        ? { status: 200, body: { Responses: { [arn]: [stored] }, UnprocessedKeys: {} } }
        : undefined;
    const out = await doc.send(
      new BatchGetCommand({
        RequestItems: { [arn]: { Keys: [{ pk: SAMPLE.pk, sk: SAMPLE.sk }] } },
      }),
    );
    expect(out.Responses![arn]).toEqual([SAMPLE]);
  });
});

describe("a request body the plugin cannot read", () => {
  it("is refused with request.malformed rather than passed through", async () => {
    const { fake, client } = setup();
    client.middlewareStack.addRelativeTo(
      (next: any) => (args: any) => {
        args.request.body = { unexpected: "body type" };
        return next(args);
      },
      { relation: "before", toMiddleware: REQUEST_MIDDLEWARE_NAME, name: "oddBody" },
    );
    await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "123-45-6789" } },
        }),
      ),
      fake,
      "request.malformed",
    );
  });
});
