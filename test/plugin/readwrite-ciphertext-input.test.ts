/**
 * A ReadWrite client never passes a written value through: even a valid
 * `ENC:` ciphertext copied from another item is a plaintext to it, encrypted
 * as a new value and bound to the item it is written into.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { setup } from "../support/plugin-setup";

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: "s" } });

/** A real ciphertext of this config, written for item `source`, read back with no plugin. */
async function copiedCiphertext(ctx: ReturnType<typeof setup>, source = "source") {
  await ctx.client.send(
    new PutItemCommand({ TableName: "Users", Item: { ...key(source), ssn: { S: "123-45-6789" } } }),
  );
  const value = ctx.fake.stored("Users", key(source))!.ssn.S as string;
  expect(value).toMatch(/^ENC:/);
  return value;
}

describe("ReadWrite: ciphertext-looking input is encrypted as a new plaintext", () => {
  it("PutItem: the stored value is a new ciphertext, and a read returns the copied text itself", async () => {
    const ctx = setup();
    const copied = await copiedCiphertext(ctx);
    await ctx.client.send(
      new PutItemCommand({ TableName: "Users", Item: { ...key("target"), ssn: { S: copied } } }),
    );
    const stored = ctx.fake.stored("Users", key("target"))!.ssn.S as string;
    expect(stored).toMatch(/^ENC:/);
    expect(stored).not.toBe(copied);
    const out = await ctx.client.send(
      new GetItemCommand({ TableName: "Users", Key: key("target") }),
    );
    expect(out.Item!.ssn).toEqual({ S: copied });
  });

  it("the Document client's PutCommand and BatchWriteCommand encrypt it too", async () => {
    const ctx = setup();
    const copied = await copiedCiphertext(ctx);
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "doc", sk: "s", ssn: copied } }),
    );
    await ctx.doc.send(
      new BatchWriteCommand({
        RequestItems: { Users: [{ PutRequest: { Item: { pk: "batch", sk: "s", ssn: copied } } }] },
      }),
    );
    for (const pk of ["doc", "batch"]) {
      const stored = ctx.fake.stored("Users", key(pk))!.ssn.S as string;
      expect(stored).toMatch(/^ENC:/);
      expect(stored).not.toBe(copied);
      const out = await ctx.doc.send(new GetCommand({ TableName: "Users", Key: { pk, sk: "s" } }));
      expect(out.Item!.ssn).toBe(copied);
    }
  });

  it("an UpdateItem :value that holds a copied ciphertext goes out as a new ciphertext", async () => {
    const ctx = setup();
    const copied = await copiedCiphertext(ctx);
    await ctx.client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: key("target"),
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": { S: copied } },
      }),
    );
    const values = Object.values<{ S: string }>(
      ctx.fake.last("UpdateItem").body.ExpressionAttributeValues,
    );
    expect(values).toHaveLength(1);
    const sent = values[0]!.S;
    expect(sent).toMatch(/^ENC:/);
    expect(sent).not.toBe(copied);
  });
});
