import { conditionalWrite } from "../../../src/migration/conditional-write";
import type { ItemWrite } from "../../../src/migration/item-rewrite";
import type { WireValue } from "../../../src/format/wire";
import { FakeDynamoDB } from "../../support/fake-dynamodb";

/**
 * The migration's one write, as it reaches the wire: what it sets and
 * removes, and the condition that makes it fail when the application changed
 * the item since it was read. The e2e tier runs the same writes against
 * DynamoDB Local, where the conditions are evaluated.
 */
function write(
  parts: {
    sets?: [string, WireValue][];
    removes?: string[];
    expect?: [string, WireValue | undefined][];
  },
  key: Record<string, WireValue> = { pk: { S: "u#1" }, sk: { S: "s" } },
): ItemWrite {
  return {
    key,
    sets: new Map(parts.sets ?? []),
    removes: new Set(parts.removes ?? []),
    expect: new Map(parts.expect ?? []),
    values: new Map(),
    beacons: new Map(),
    composites: new Map(),
  };
}

/** The write with no log redaction: these tests read the wire, not the SDK's log (test/e2e/tool-sdk-logger.e2e.test.ts does). */
const writeUnlogged = (
  ...args: Parameters<typeof conditionalWrite> extends [...infer A, unknown] ? A : never
) => conditionalWrite(...args, (value) => value);

const CIPHER = { S: "ENC:new" };

/** A DynamoDB error reply of this type, as the service sends it. */
const serviceError = (type: string) => ({
  status: 400,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: type },
});

function fake() {
  const db = new FakeDynamoDB({ Users: ["pk", "sk"] });
  return { db, client: db.client() };
}

describe("the migration's conditional write", () => {
  it("sets and removes only what changed, conditional on each value as read, on an absent one staying absent, and on the item still existing", async () => {
    const { db, client } = fake();
    const outcome = await writeUnlogged(
      client,
      "Users",
      write({
        sets: [
          ["ssn", CIPHER],
          ["email__beacon", { S: "ab12" }],
        ],
        removes: ["phone__beacon"],
        expect: [
          ["ssn", { S: "123-45-6789" }],
          ["email__beacon", undefined],
          ["phone__beacon", { S: "ffff" }],
        ],
      }),
    );
    expect(outcome).toEqual({ written: true, capacity: 0 });
    const { body, operation } = db.last();
    expect(operation).toBe("UpdateItem");
    expect(body).toEqual({
      TableName: "Users",
      Key: { pk: { S: "u#1" }, sk: { S: "s" } },
      UpdateExpression: "SET #a0 = :n0, #a1 = :n1 REMOVE #a2",
      ConditionExpression:
        "attribute_exists(#k) AND #a0 = :o0 AND attribute_not_exists(#a1) AND #a2 = :o2",
      ExpressionAttributeNames: {
        "#k": "pk",
        "#a0": "ssn",
        "#a1": "email__beacon",
        "#a2": "phone__beacon",
      },
      ExpressionAttributeValues: {
        ":o0": { S: "123-45-6789" },
        ":n0": CIPHER,
        ":n1": { S: "ab12" },
        ":o2": { S: "ffff" },
      },
      ReturnConsumedCapacity: "TOTAL",
    });
  });

  it("a write that only removes, of attributes read as absent, sends no values", async () => {
    const { db, client } = fake();
    await writeUnlogged(
      client,
      "Users",
      write({
        removes: ["x__beacon", "y__beacon"],
        expect: [
          ["x__beacon", undefined],
          ["y__beacon", undefined],
        ],
      }),
    );
    const { body } = db.last();
    expect(body.UpdateExpression).toBe("REMOVE #a0, #a1");
    expect(body.ConditionExpression).toBe(
      "attribute_exists(#k) AND attribute_not_exists(#a0) AND attribute_not_exists(#a1)",
    );
    expect(body).not.toHaveProperty("ExpressionAttributeValues");
  });

  it("a condition on an attribute it does not write still holds the write back (a field read with its beacon)", async () => {
    const { db, client } = fake();
    await writeUnlogged(
      client,
      "Users",
      write({
        sets: [["email__beacon", { S: "ab12" }]],
        expect: [
          ["email", { S: "ENC:old" }],
          ["email__beacon", { S: "0000" }],
        ],
      }),
    );
    const { body } = db.last();
    expect(body.UpdateExpression).toBe("SET #a1 = :n1");
    expect(body.ConditionExpression).toBe("attribute_exists(#k) AND #a0 = :o0 AND #a1 = :o1");
    expect(body.ExpressionAttributeValues).toEqual({
      ":o0": { S: "ENC:old" },
      ":o1": { S: "0000" },
      ":n1": { S: "ab12" },
    });
  });

  it.each([
    ["sets", write({ sets: [["ssn", CIPHER]], expect: [["email", { S: "x" }]] })],
    ["removes", write({ removes: ["ssn__beacon"], expect: [] })],
  ])(
    "refuses, sending nothing, a write that %s an attribute without a condition on its value read",
    async (_, unconditioned) => {
      const { db, client } = fake();
      // A precondition of the migration's own planning (a plain Error, not a user-facing code).
      await expect(writeUnlogged(client, "Users", unconditioned)).rejects.toBeInstanceOf(Error);
      expect(db.requests).toHaveLength(0);
    },
  );

  it("reports the capacity consumed; a failed condition is not written and consumed nothing; other errors are thrown", async () => {
    const { db, client } = fake();
    db.override = () => ({ status: 200, body: { ConsumedCapacity: { CapacityUnits: 2.5 } } });
    const one = write({ sets: [["ssn", CIPHER]], expect: [["ssn", { S: "1" }]] });
    expect(await writeUnlogged(client, "Users", one)).toEqual({ written: true, capacity: 2.5 });
    db.override = () => serviceError("ConditionalCheckFailedException");
    expect(await writeUnlogged(client, "Users", one)).toEqual({ written: false, capacity: 0 });
    db.override = () => serviceError("ResourceNotFoundException");
    await expect(writeUnlogged(client, "Users", one)).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("a ConditionalCheckFailedException of another copy of the SDK (matched by name) is a failed condition too", async () => {
    const thrown = Object.assign(new Error("The conditional request failed"), {
      name: "ConditionalCheckFailedException",
    });
    const client = { send: () => Promise.reject(thrown) } as unknown as Parameters<
      typeof conditionalWrite
    >[0];
    const one = write({ sets: [["ssn", CIPHER]], expect: [["ssn", { S: "1" }]] });
    expect(await writeUnlogged(client, "Users", one)).toEqual({ written: false, capacity: 0 });
    const other = Object.assign(new Error("throttled"), { name: "ThrottlingException" });
    const failing = { send: () => Promise.reject(other) } as unknown as Parameters<
      typeof conditionalWrite
    >[0];
    await expect(writeUnlogged(failing, "Users", one)).rejects.toBe(other);
  });
});
