import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { expectRefused } from "../support/refused";
import { setup } from "../support/plugin-setup";

const SECRET = { S: "123-45-6789" };
type Condition = Record<string, { ComparisonOperator: never; AttributeValueList: never[] }>;
const KEY = { pk: { S: "u" }, sk: { S: "s" } };

describe("legacy presence operators on an encrypted attribute", () => {
  it.each(["NULL", "NOT_NULL"])(
    "%s with an AttributeValueList is refused in ScanFilter, QueryFilter, KeyConditions and Expected, nothing sent",
    async (ComparisonOperator) => {
      const condition = {
        ssn: { ComparisonOperator, AttributeValueList: [SECRET] },
      } as unknown as Condition;
      const requests = [
        new ScanCommand({ TableName: "Users", ScanFilter: condition }),
        new QueryCommand({
          TableName: "Users",
          KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "u" }] } },
          QueryFilter: condition,
        }),
        new QueryCommand({ TableName: "Users", KeyConditions: condition }),
        new PutItemCommand({ TableName: "Users", Item: KEY, Expected: condition }),
        new DeleteItemCommand({ TableName: "Users", Key: KEY, Expected: condition }),
      ];
      for (const request of requests) {
        const { fake, client } = setup();
        await expectRefused(
          client.send(request as never),
          fake,
          "expression.unsupportedOnEncrypted",
        );
      }
    },
  );

  it("Exists: false with an AttributeValueList is refused", async () => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: KEY,
          Expected: { ssn: { Exists: false, AttributeValueList: [SECRET] } },
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
  });

  it("without values they still pass, as existence checks", async () => {
    const { fake, client } = setup();
    await client.send(
      new ScanCommand({
        TableName: "Users",
        ScanFilter: { ssn: { ComparisonOperator: "NOT_NULL" } },
      }),
    );
    await client.send(
      new PutItemCommand({ TableName: "Users", Item: KEY, Expected: { ssn: { Exists: false } } }),
    );
    expect(fake.requests).toHaveLength(2);
  });
});

describe("legacy conditions on an unencrypted attribute carrying values their operator does not take", () => {
  const NICK = { S: "ada" };
  it.each([
    ["NULL with a value", { ComparisonOperator: "NULL", AttributeValueList: [SECRET] }],
    ["NOT_NULL with a value", { ComparisonOperator: "NOT_NULL", AttributeValueList: [SECRET] }],
    ["EQ with two values", { ComparisonOperator: "EQ", AttributeValueList: [NICK, SECRET] }],
    [
      "BETWEEN with three values",
      { ComparisonOperator: "BETWEEN", AttributeValueList: [NICK, NICK, SECRET] },
    ],
    [
      "an operator DynamoDB does not know",
      { ComparisonOperator: "LIKE", AttributeValueList: [SECRET] },
    ],
    ["AttributeValueList without a ComparisonOperator", { AttributeValueList: [SECRET] }],
  ])("%s is refused, nothing sent", async (_, condition) => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new ScanCommand({
          TableName: "Users",
          ScanFilter: { nick: condition } as unknown as Condition,
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
  });

  it.each([
    [
      "Value beside a ComparisonOperator",
      { ComparisonOperator: "EQ", AttributeValueList: [NICK], Value: SECRET },
    ],
    ["Exists: false with a Value", { Exists: false, Value: SECRET }],
  ])("in Expected, %s is refused, nothing sent", async (_, condition) => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new PutItemCommand({
          TableName: "Users",
          Item: KEY,
          Expected: { nick: condition } as never,
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
  });

  it("KeyConditions with an extra value on the partition key is refused", async () => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new QueryCommand({
          TableName: "Users",
          KeyConditions: {
            pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "u" }, SECRET] },
          },
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
  });

  it("conditions with the values their operators take pass", async () => {
    const { fake, client } = setup();
    await client.send(
      new ScanCommand({
        TableName: "Users",
        ScanFilter: {
          nick: { ComparisonOperator: "IN", AttributeValueList: [NICK, { S: "bob" }] },
          age: { ComparisonOperator: "BETWEEN", AttributeValueList: [{ N: "1" }, { N: "9" }] },
          city: { ComparisonOperator: "NOT_NULL" },
        },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: KEY,
        Expected: { nick: { Value: NICK }, ssn: { Exists: false } },
      }),
    );
    expect(fake.requests).toHaveLength(2);
  });
});

describe("an ExpressionAttributeValues entry no expression uses", () => {
  it("is refused on a configured table, nothing sent", async () => {
    for (const request of [
      new PutItemCommand({
        TableName: "Users",
        Item: KEY,
        ExpressionAttributeValues: { ":x": SECRET },
      }),
      new UpdateItemCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET nick = :n",
        ExpressionAttributeValues: { ":n": { S: "ada" }, ":x": SECRET },
      }),
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "attribute_exists(ssn)",
        ExpressionAttributeValues: { ":x": SECRET },
      }),
      new DeleteItemCommand({
        TableName: "Users",
        Key: KEY,
        ConditionExpression: "nick = :n",
        ExpressionAttributeValues: { ":n": { S: "ada" }, ":x": SECRET },
      }),
    ]) {
      const { fake, client } = setup();
      await expectRefused(client.send(request as never), fake, "expression.unsupportedOnEncrypted");
    }
  });

  it("values every expression uses pass, and another table is not checked", async () => {
    const { fake, client } = setup();
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET nick = :n",
        ConditionExpression: "nick <> :m",
        ExpressionAttributeValues: { ":n": { S: "ada" }, ":m": { S: "bob" } },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: "Plain",
        Item: { pk: { S: "p" } },
        ExpressionAttributeValues: { ":x": { S: "anything" } },
      }),
    );
    expect(fake.requests).toHaveLength(2);
  });
});
