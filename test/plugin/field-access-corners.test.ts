import { QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { BeaconOptions, FieldEncryptionConfig } from "../../src";
import { expectRefused } from "../support/refused";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

/**
 * Corners of the one rule for what a request may do with an encrypted field
 * (src/access/field-access.ts) that a mutation run found no test reaching:
 * each test here tells the rule apart from a small change to it.
 */

/** The beacon config with the email beacon changed. */
async function withEmailBeacon(beacon: BeaconOptions): Promise<FieldEncryptionConfig> {
  const config = await localBeaconConfig();
  const users = config.tables.Users!;
  return {
    ...config,
    tables: { Users: { ...users, fields: { ...users.fields, email: { beacon } } } },
  };
}

describe("the field access rule's corners", () => {
  it("a comparison of a map that holds a beaconed field is refused as a comparison of encrypted data, not as a beacon lookup", async () => {
    const { fake, doc } = await beaconSetup();
    const error = await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "profile = :p",
          ExpressionAttributeValues: { ":p": { phone: "555-0100" } },
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
    expect(error.field).toBe("profile.phone");
    // The beaconed field itself, compared in a way a beacon cannot answer: a beacon refusal, naming the field.
    const beaconRefusal = await expectRefused(
      doc.send(
        new ScanCommand({
          TableName: "Users",
          FilterExpression: "begins_with(email, :e)",
          ExpressionAttributeValues: { ":e": "ada" },
        }),
      ),
      fake,
      "beacon.unsupportedQuery",
    );
    expect(beaconRefusal).toMatchObject({ table: "Users", field: "email" });
  });

  it("a key condition on a beaconed field without a declared index is refused, with or without IndexName", async () => {
    const { fake, doc } = await beaconSetup(await withEmailBeacon({ length: 16 }));
    for (const IndexName of [undefined, "email-index"]) {
      const error = await expectRefused(
        doc.send(
          new QueryCommand({
            TableName: "Users",
            ...(IndexName ? { IndexName } : {}),
            KeyConditionExpression: "email = :e",
            ExpressionAttributeValues: { ":e": "ada@example.com" },
          }),
        ),
        fake,
        "beacon.indexRequired",
      );
      expect(error).toMatchObject({ table: "Users", field: "email" });
    }
  });

  it("a 256-bit normalised beacon answers a filter (false positives are removed), though not a ConditionExpression", async () => {
    const { fake, doc } = await beaconSetup(
      await withEmailBeacon({ length: 256, normalize: "lowercase" }),
    );
    await doc.send(
      new ScanCommand({
        TableName: "Users",
        FilterExpression: "email = :e",
        ExpressionAttributeValues: { ":e": "Ada@example.com" },
      }),
    );
    expect(fake.last("Scan").body.FilterExpression).toBe("#dfe_b = :dfe_b");
    fake.requests.length = 0;
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET nick = :n",
          ConditionExpression: "email = :e",
          ExpressionAttributeValues: { ":n": "a", ":e": "ada@example.com" },
        }),
      ),
      fake,
      "beacon.conditionNotExact",
    );
  });

  it("size() inside an encrypted value is refused like size() of it", async () => {
    const { fake, doc } = await beaconSetup();
    for (const path of ["ssn", "ssn.part", "ssn[0]"])
      await expectRefused(
        doc.send(
          new ScanCommand({
            TableName: "Users",
            FilterExpression: `size(${path}) > :n`,
            ExpressionAttributeValues: { ":n": 3 },
          }),
        ),
        fake,
        "expression.unsupportedOnEncrypted",
      );
  });

  it("REMOVE of a beaconed field removes its beacon in the same update", async () => {
    const { fake, doc } = await beaconSetup();
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "REMOVE email",
      }),
    );
    const wire = fake.last("UpdateItem").body;
    expect(wire.UpdateExpression).toBe("REMOVE #dfe_b, email");
    expect(wire.ExpressionAttributeNames).toEqual({ "#dfe_b": "email__beacon" });
  });

  it("list_append is refused on a path whose encrypted fields are not all reached through its elements", async () => {
    const config = await localBeaconConfig();
    const users = config.tables.Users!;
    const { fake, doc } = await beaconSetup({
      ...config,
      tables: { Users: { ...users, fields: { "x[].a": {}, "x.b": {} } } },
    });
    await expectRefused(
      doc.send(
        new UpdateCommand({
          TableName: "Users",
          Key: { pk: "u#1", sk: "p" },
          UpdateExpression: "SET x = list_append(x, :v)",
          ExpressionAttributeValues: { ":v": [{ a: "secret-a" }] },
        }),
      ),
      fake,
      "expression.unsupportedOnEncrypted",
    );
    // With every field reached through the elements, the same update is sent, the element's field encrypted.
    const lists = await beaconSetup({
      ...config,
      tables: { Users: { ...users, fields: { "x[].a": {} } } },
    });
    await lists.doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: { pk: "u#1", sk: "p" },
        UpdateExpression: "SET x = list_append(x, :v)",
        ExpressionAttributeValues: { ":v": [{ a: "secret-a" }] },
      }),
    );
    expect(JSON.stringify(lists.fake.last("UpdateItem").body)).not.toContain("secret-a");
  });
});
