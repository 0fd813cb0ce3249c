import { PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { fieldEncryption, type FieldEncryptionConfig } from "../../src";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

/** A beacon config with `undecryptableItems` set, and one item whose `email` decrypts to a BOOL: written by a client on which `email` has no beacon. */
async function withPlantedBool(undecryptableItems: "fail" | "skip") {
  const base = await localBeaconConfig();
  const config: FieldEncryptionConfig = { ...base, undecryptableItems };
  const ctx = await beaconSetup(config);
  await ctx.doc.send(
    new PutCommand({ TableName: "Users", Item: { pk: "u#1", sk: "p", email: "ada@example.com" } }),
  );
  const users = base.tables.Users!;
  const planter = ctx.fake.client();
  planter.middlewareStack.use(
    fieldEncryption({
      ...base,
      tables: { Users: { ...users, fields: { ...users.fields, email: {} } } },
    }),
  );
  await planter.send(
    new PutItemCommand({
      TableName: "Users",
      Item: { pk: { S: "u#2" }, sk: { S: "p" }, email: { BOOL: true } },
    }),
  );
  expect(ctx.fake.stored("Users", { pk: { S: "u#2" }, sk: { S: "p" } })!.email.S).toMatch(/^ENC:/);
  return ctx;
}

describe("a stored value of a type beacons do not cover, in a beaconed field", () => {
  it.each(["fail", "skip"] as const)(
    "is not a match for a lookup of its bucket (undecryptableItems: %s); the other items come back",
    async (mode) => {
      const { doc, client } = await withPlantedBool(mode);
      const out = await doc.send(
        new QueryCommand({
          TableName: "Users",
          IndexName: "email-index",
          KeyConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":e": "ada@example.com" },
        }),
      );
      expect(out.Items!.map((i) => i.pk)).toEqual(["u#1"]);
      expect(out.Count).toBe(1);
      // Reads that search no beacon return the item as stored, BOOL and all.
      const all = await client.send(new ScanCommand({ TableName: "Users" }));
      expect(all.Items!.find((i) => i.pk!.S === "u#2")!.email).toEqual({ BOOL: true });
    },
  );
});
