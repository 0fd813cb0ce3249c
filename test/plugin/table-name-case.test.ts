import {
  BatchWriteItemCommand,
  ExecuteStatementCommand,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { expectRefused } from "../support/refused";
import { setup } from "../support/plugin-setup";

const ITEM = { pk: { S: "u" }, sk: { S: "s" }, ssn: { S: "123-45-6789" } };
const ARN = "arn:aws:dynamodb:us-east-1:123456789012:table";

describe("a table name that names a configured table only when letter case is ignored", () => {
  it.each([
    "users",
    "USERS",
    `ARN:aws:dynamodb:us-east-1:123456789012:table/Users`,
    `arn:aws:dynamodb:us-east-1:123456789012:Table/Users`,
    `${ARN}/users`,
    `Arn:AWS:dynamodb:us-east-1:123456789012:TABLE/USERS`,
  ])("TableName %s is refused (table.nameAmbiguous), nothing sent", async (TableName) => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(new PutItemCommand({ TableName, Item: ITEM })),
      fake,
      "table.nameAmbiguous",
    );
  });

  it.each([
    "Users ",
    " Users",
    "Users\n",
    "Users/",
    `arn:aws:dynamodb:us-east-1:123456789012:Users`,
  ])(
    "a name DynamoDB cannot accept that mentions a configured table, %j, is refused",
    async (TableName) => {
      const { fake, client } = setup();
      await expectRefused(
        client.send(new PutItemCommand({ TableName, Item: ITEM })),
        fake,
        "table.nameAmbiguous",
      );
    },
  );

  it("valid names of other tables that contain a configured name pass through", async () => {
    const { fake, client } = setup();
    fake.override = () => ({ status: 200, body: {} }); // tables the fake does not hold
    for (const TableName of ["UsersArchive", `${ARN}/xUsers`])
      await client.send(new PutItemCommand({ TableName, Item: ITEM }));
    expect(fake.requests).toHaveLength(2);
  });

  it("a BatchWriteItem keyed by such a name is refused", async () => {
    const { fake, client } = setup();
    await expectRefused(
      client.send(
        new BatchWriteItemCommand({ RequestItems: { uSeRs: [{ PutRequest: { Item: ITEM } }] } }),
      ),
      fake,
      "table.nameAmbiguous",
    );
  });

  it.each([`"users"`, `"${ARN.toUpperCase()}/Users"`])(
    "a PartiQL statement on %s is refused",
    async (name) => {
      const { fake, client } = setup();
      await expectRefused(
        client.send(
          new ExecuteStatementCommand({
            Statement: `INSERT INTO ${name} VALUE {'pk': ?, 'sk': ?, 'ssn': ?}`,
            Parameters: [ITEM.pk, ITEM.sk, ITEM.ssn],
          }),
        ),
        fake,
        "table.nameAmbiguous",
      );
    },
  );

  it("the exact name and its exact ARN are the configured table, encrypted", async () => {
    const { fake, client } = setup();
    for (const TableName of ["Users", `${ARN}/Users`]) {
      await client.send(new PutItemCommand({ TableName, Item: ITEM }));
      expect(fake.last("PutItem").body.Item.ssn.S).toMatch(/^ENC:/);
    }
  });

  it("other tables, also ones whose names contain a configured name, pass untouched", async () => {
    const { fake, client } = setup();
    await client.send(new PutItemCommand({ TableName: "Plain", Item: { pk: { S: "users" } } }));
    await client.send(new GetItemCommand({ TableName: "Plain", Key: { pk: { S: "USERS" } } }));
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.body).toEqual({ TableName: "Plain", Item: { pk: { S: "users" } } });
  });
});
