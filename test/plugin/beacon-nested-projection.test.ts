import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

/** The beacon config with a truncated (16-bit) beacon on the nested `profile.phone`, so a lookup needs the field back to drop false positives. */
async function nestedSetup() {
  const config = await localBeaconConfig();
  const users = config.tables.Users!;
  users.fields = { ...users.fields, "profile.phone": { beacon: { length: 16 } } };
  const ctx = await beaconSetup(config);
  for (const [pk, phone] of [
    ["u#1", "555-0100"],
    ["u#2", "555-0199"],
  ])
    await ctx.doc.send(
      new PutCommand({ TableName: "Users", Item: { pk, sk: "p", profile: { phone, city: "x" } } }),
    );
  ctx.fake.requests.length = 0;
  return ctx;
}

/** The document paths of a projection, with names substituted. */
function projectedPaths(body: {
  ProjectionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
}) {
  return body.ProjectionExpression.split(",").map((p) =>
    p
      .trim()
      .split(".")
      .map((step) => body.ExpressionAttributeNames?.[step] ?? step)
      .join("."),
  );
}

describe("a beacon lookup on a nested field with a projection", () => {
  it("that names the field itself sends no overlapping path (DynamoDB refuses two paths that overlap)", async () => {
    const { fake, doc } = await nestedSetup();
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "profile.phone = :p",
        ProjectionExpression: "pk, profile.phone",
        ExpressionAttributeValues: { ":p": "555-0100" },
      }),
    );
    const paths = projectedPaths(fake.last("Scan").body);
    for (const a of paths)
      for (const b of paths)
        if (a !== b) expect(b.startsWith(`${a}.`) || a.startsWith(`${b}.`)).toBe(false);
    expect(new Set(paths).size).toBe(paths.length);
    expect(out.Items!.map((i) => i.pk)).toEqual(["u#1"]);
    expect(out.Items![0]!.profile.phone).toBe("555-0100");
  });

  it("that names only the key adds the field's root, and removes it from the items returned", async () => {
    const { fake, doc } = await nestedSetup();
    const out = await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "profile.phone = :p",
        ProjectionExpression: "pk",
        ExpressionAttributeValues: { ":p": "555-0100" },
      }),
    );
    expect(projectedPaths(fake.last("Scan").body)).toContain("profile");
    expect(out.Items).toEqual([{ pk: "u#1" }]);
  });
});
