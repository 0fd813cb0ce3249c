/**
 * Reliability 5, 6 and 7 on the plugin tier: bad input, secrets that stay
 * secret (errors, cause chains, the SDK logger at every level, zeroed keys),
 * and nothing lost (the SDK's retries do not encrypt twice).
 */
import {
  BatchExecuteStatementCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { HttpResponse } from "@smithy/protocol-http";
import { EncryptionError, fieldEncryption } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { SAMPLE, SAMPLE_SECRETS, setup, usersConfig } from "../support/plugin-setup";

const KEY = { pk: SAMPLE.pk, sk: SAMPLE.sk };

function capturingLogger() {
  const lines: unknown[] = [];
  const log = (...args: unknown[]) => lines.push(args);
  return { lines, logger: { trace: log, debug: log, info: log, warn: log, error: log } };
}

function errorChainText(error: unknown): string {
  const parts: string[] = [];
  for (let e: any = error, depth = 0; e && depth < 10; e = e.cause, depth++) {
    parts.push(
      String(e.message),
      String(e.stack),
      JSON.stringify(e, Object.getOwnPropertyNames(e)),
    );
  }
  return parts.join("\n");
}

describe("secrets stay secret", () => {
  it("the SDK logger, at every level, never sees a plaintext value of an encrypted field, for either client and on errors", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
    const { lines, logger } = capturingLogger();
    const client = fake.client({ logger });
    client.middlewareStack.use(fieldEncryption(usersConfig()));
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    await doc.send(new GetCommand({ TableName: "Users", Key: KEY }));
    await doc.send(
      new UpdateCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": SAMPLE.ssn },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: SAMPLE.ssn } },
      }),
    );
    await client.send(
      new GetItemCommand({ TableName: "Users", Key: { pk: { S: "a" }, sk: { S: "b" } } }),
    );
    // A refused request is logged too (at error level, with its input): the secrets in it must not be.
    const sentBefore = fake.requests.length;
    const loggedBefore = lines.length;
    const refused = await doc
      .send(
        new PutCommand({
          TableName: "Users",
          Item: { ...SAMPLE, card: { number: 5 } },
          ConditionExpression: "ssn = :x",
          ExpressionAttributeValues: { ":x": SAMPLE.ssn },
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(EncryptionError);
    expect((refused as EncryptionError).code).toBe("expression.unsupportedOnEncrypted");
    expect(fake.requests).toHaveLength(sentBefore);
    const refusedLines = JSON.stringify(lines.slice(loggedBefore));
    expect(refusedLines).toContain("expression.unsupportedOnEncrypted");
    expect(refusedLines).toContain("***SensitiveInformation***");
    expect(lines.length).toBeGreaterThan(5);
    const text = JSON.stringify(lines, (_, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
    );
    for (const secret of SAMPLE_SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain("***SensitiveInformation***");
    expect(text).toContain('"name":"Ada"'); // other attributes stay visible for debugging
  });

  it("a PartiQL statement naming a configured table is redacted in the SDK log, also when refused and inside batches and transactions (security review 8)", async () => {
    const fake = new FakeDynamoDB({ Users: ["pk", "sk"], Plain: ["pk"] });
    const { lines, logger } = capturingLogger();
    const client = fake.client({ logger });
    client.middlewareStack.use(fieldEncryption(usersConfig()));
    const literal = {
      Statement: `INSERT INTO "Users" VALUE {'pk': 'u', 'sk': 's', 'ssn': '${SAMPLE.ssn}'}`,
    };
    const shape = {
      Statement: `UPDATE "Users" SET card = '${SAMPLE.card.number}' WHERE pk = 'u' AND sk = 's'`,
    };
    const plain = { Statement: `INSERT INTO "Plain" VALUE {'pk': 'visible-in-logs'}` };
    const refusals = [
      () => client.send(new ExecuteStatementCommand(literal)),
      () => client.send(new ExecuteStatementCommand(shape)),
      () => client.send(new BatchExecuteStatementCommand({ Statements: [plain, literal] })),
      () => client.send(new ExecuteTransactionCommand({ TransactStatements: [shape, plain] })),
    ];
    for (const refusal of refusals) await expect(refusal()).rejects.toBeInstanceOf(EncryptionError);
    expect(fake.requests).toHaveLength(0);
    await client.send(
      new ExecuteStatementCommand({
        Statement: `UPDATE "Users" SET note = '${SAMPLE.addresses[0]!.zip}' WHERE pk = 'u' AND sk = 's'`,
      }),
    );
    // A refused command's input is not logged at all (it may hold a copy anywhere); a sent one on another table stays readable.
    await client.send(new ExecuteStatementCommand(plain));
    expect(fake.requests).toHaveLength(2);
    // One error line per refused command, one info line for the statement sent, each with its input.
    const commandLines = lines.filter(
      (l) => (l as { input?: unknown }[])[0]?.input !== undefined,
    ) as { input: unknown; error?: unknown }[][];
    expect(commandLines.map((l) => l[0]!.error instanceof EncryptionError)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    const text = JSON.stringify(lines);
    for (const secret of SAMPLE_SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain('"Statement":"***SensitiveInformation***"');
    expect(text).toContain("visible-in-logs"); // statements on other tables stay readable
  });

  it("error messages and cause chains never hold plaintext or key material", async () => {
    const { fake, doc } = setup();
    await doc.send(new PutCommand({ TableName: "Users", Item: SAMPLE }));
    const stored = fake.stored("Users", { pk: { S: SAMPLE.pk }, sk: { S: SAMPLE.sk } })!;
    stored.ssn.S = stored.ssn.S.slice(0, -6) + "AAAA==";
    const errors: unknown[] = [];
    errors.push(
      await doc.send(new GetCommand({ TableName: "Users", Key: KEY })).catch((e: unknown) => e),
    );
    errors.push(
      await doc
        .send(
          new PutCommand({
            TableName: "Users",
            Item: { ...SAMPLE, ssn: { not: "dynamodb json" } as never },
            ConditionExpression: "ssn = :v",
            ExpressionAttributeValues: { ":v": SAMPLE.ssn },
          }),
        )
        .catch((e: unknown) => e),
    );
    const bad = setup(usersConfig({ mode: "ReadOnly" }));
    errors.push(
      await bad.doc
        .send(new PutCommand({ TableName: "Users", Item: SAMPLE }))
        .catch((e: unknown) => e),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(EncryptionError);
      const text = errorChainText(error);
      for (const secret of SAMPLE_SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/[0-9a-f]{64}/); // no hex key material
    }
  });
});

describe("bad input", () => {
  it("an item that encryption pushes over DynamoDB's 400 KB limit is refused with item.tooLarge before sending", async () => {
    const { fake, doc } = setup();
    const big = "x".repeat(300 * 1024);
    await expect(
      doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: big } })),
    ).rejects.toMatchObject({ code: "item.tooLarge", table: "Users" });
    expect(fake.requests).toHaveLength(0);
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { ...KEY, ssn: "x".repeat(250 * 1024) } }),
    );
    expect(fake.requests).toHaveLength(1);
  });

  it("deeply nested maps round-trip", async () => {
    const { doc } = setup(usersConfig({}, { fields: { deep: {} } }));
    let value: Record<string, unknown> = { leaf: "secret" };
    for (let i = 0; i < 30; i++) value = { level: i, child: value };
    await doc.send(new PutCommand({ TableName: "Users", Item: { ...KEY, deep: value } }));
    expect((await doc.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item!.deep).toEqual(
      value,
    );
  });

  it("values that are not valid DynamoDB JSON at an encrypted path are refused, or (where the SDK's serializer keeps one member) encrypted like any value", async () => {
    const { fake, client } = setup();
    const outcome = await client
      .send(
        new PutItemCommand({
          TableName: "Users",
          Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: "1", N: "2" } as never },
        }),
      )
      .then(
        () => "sent",
        (e: unknown) => e,
      );
    if (outcome === "sent") {
      // SDKs before the schema-based serializer send only the first member of the union.
      expect(fake.last().body.Item.ssn).toEqual({ S: expect.stringMatching(/^ENC:/) });
    } else {
      expect(outcome).toMatchObject({ code: "value.invalid" });
      expect(fake.requests).toHaveLength(0);
    }
  });

  it.each([true, false])(
    "undefined and null in Document client items, removeUndefinedValues %s",
    async (removeUndefinedValues) => {
      const fake = new FakeDynamoDB({ Users: ["pk", "sk"] });
      const client = fake.client();
      client.middlewareStack.use(fieldEncryption(usersConfig()));
      const doc = DynamoDBDocumentClient.from(client, {
        marshallOptions: { removeUndefinedValues },
      });
      const item = { ...KEY, ssn: null, card: { number: undefined, expiry: "1" } };
      const sent = doc.send(new PutCommand({ TableName: "Users", Item: item }));
      if (!removeUndefinedValues) {
        await expect(sent).rejects.toThrow(/undefined/); // the SDK's own marshalling refuses, before the plugin
        return;
      }
      await sent;
      const wire = fake.last().body.Item;
      expect(wire.ssn.S).toMatch(/^ENC:/); // NULL is a value like any other: encrypted
      expect(wire.card.M).toEqual({ expiry: { S: "1" } });
      expect((await doc.send(new GetCommand({ TableName: "Users", Key: KEY }))).Item).toEqual({
        ...KEY,
        ssn: null,
        card: { expiry: "1" },
      });
    },
  );
});

describe("nothing lost", () => {
  it("the SDK's retry after a 500 from DynamoDB resends the same ciphertext: encrypted once", async () => {
    const bodies: string[] = [];
    let attempt = 0;
    const client = new DynamoDBClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 3,
      retryStrategy: undefined,
      requestHandler: {
        handle: (request: { body: unknown }) => {
          bodies.push(
            typeof request.body === "string"
              ? request.body
              : Buffer.from(request.body as Uint8Array).toString("utf8"),
          );
          attempt++;
          const response =
            attempt === 1
              ? new HttpResponse({
                  statusCode: 500,
                  headers: {},
                  body: Buffer.from(
                    JSON.stringify({
                      __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
                      message: "boom",
                    }),
                  ),
                })
              : new HttpResponse({ statusCode: 200, headers: {}, body: Buffer.from("{}") });
          return Promise.resolve({ response });
        },
        updateHttpClientConfig: () => {},
        httpHandlerConfigs: () => ({}),
      } as never,
    });
    client.middlewareStack.use(fieldEncryption(usersConfig()));
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: "a" }, sk: { S: "b" }, ssn: { S: SAMPLE.ssn } },
      }),
    );
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(JSON.parse(bodies[0]!).Item.ssn.S).toMatch(/^ENC:/);
  });
});
