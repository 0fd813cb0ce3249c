/**
 * `cache.maxUses` bounds how many values one data key encrypts, across
 * requests and within one, counted on what the (fake) table stored.
 */
import { BatchWriteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { describeCiphertext } from "../../src";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { setup, usersConfig } from "../support/plugin-setup";

const item = (i: number) => ({
  pk: { S: `user#${i}` },
  sk: { S: "s" },
  ssn: { S: `secret-${i}` },
});

/** How many stored `ssn` values each data key encrypted. */
function usesPerDataKey(fake: FakeDynamoDB): number[] {
  const uses = new Map<string, number>();
  for (const stored of fake.tables.get("Users")!.values()) {
    const fp = describeCiphertext(stored.ssn.S as string).wrappedKeyFingerprint;
    uses.set(fp, (uses.get(fp) ?? 0) + 1);
  }
  return [...uses.values()];
}

async function batch(ctx: ReturnType<typeof setup>, from: number, count: number): Promise<void> {
  const requests = Array.from({ length: count }, (_, i) => ({
    PutRequest: { Item: item(from + i) },
  }));
  await ctx.client.send(new BatchWriteItemCommand({ RequestItems: { Users: requests } }));
}

describe("maxUses, counted on the stored values", () => {
  it("with maxUses 2, three sequential puts use two data keys (2 + 1)", async () => {
    const ctx = setup(usersConfig({ cache: { maxUses: 2 } }));
    for (let i = 0; i < 3; i++)
      await ctx.client.send(new PutItemCommand({ TableName: "Users", Item: item(i) }));
    expect(usesPerDataKey(ctx.fake).sort((a, b) => a - b)).toEqual([1, 2]);
  });

  it("with maxUses 10, one put then a 10-item batch use two data keys (1 + 10)", async () => {
    const ctx = setup(usersConfig({ cache: { maxUses: 10 } }));
    await ctx.client.send(new PutItemCommand({ TableName: "Users", Item: item(0) }));
    await batch(ctx, 1, 10);
    expect(usesPerDataKey(ctx.fake).sort((a, b) => a - b)).toEqual([1, 10]);
  });

  it("no data key encrypts more than maxUses values, for any sequence of puts and batches", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 8 }),
        async (maxUses, sizes) => {
          const ctx = setup(usersConfig({ cache: { maxUses } }));
          let next = 0;
          for (const size of sizes) {
            if (size === 1)
              await ctx.client.send(new PutItemCommand({ TableName: "Users", Item: item(next) }));
            else await batch(ctx, next, size);
            next += size;
          }
          const uses = usesPerDataKey(ctx.fake);
          expect(uses.reduce((a, b) => a + b, 0)).toBe(next);
          expect(Math.max(...uses)).toBeLessThanOrEqual(maxUses);
        },
      ),
      { numRuns: 40 },
    );
  });
});
