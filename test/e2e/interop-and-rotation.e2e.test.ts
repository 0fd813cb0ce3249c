import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { describeCiphertext, fieldEncryption, KmsKeyProvider } from "../../src";
import { KmsTestServer } from "../../src/testing";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "../support/dynamodb";
import { pluginClientPool } from "../support/e2e-setup";
import { pydynoxDecrypt, pydynoxEncrypt, pydynoxParts } from "../support/pydynox-reference";

const table = uniqueTableName("interop");
let kms: KmsTestServer;
let kmsClient: KMSClient;
let plain: DynamoDBClient;
const pool = pluginClientPool();
const fields = { ssn: { context: { service: "billing" } } };
const S = (v: string) => ({ S: v });

const clients = pool.open;

beforeAll(async () => {
  kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  kmsClient = kms.client();
  plain = plainDynamoClient();
  await createTable(plain, table, { partitionKey: "pk" });
});

afterAll(async () => {
  pool.destroyAll();
  kmsClient.destroy();
  await deleteTable(plain, table);
  plain.destroy();
  await kms.stop();
});

beforeEach(() => {
  kms.resetCalls();
  kms.resetPermissions();
});

async function stored(pk: string): Promise<string> {
  return (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: S(pk) } }))).Item!.ssn!
    .S!;
}

describe("sharing a table with pydynox services", () => {
  it("reads values a pydynox service wrote, on a field that accepts pydynox's format (independent writer: KMS GenerateDataKey, then AES-GCM with no associated data)", async () => {
    const dataKey = await kmsClient.send(
      new GenerateDataKeyCommand({
        KeyId: "alias/app-data",
        KeySpec: "AES_256",
        EncryptionContext: { service: "billing" },
      }),
    );
    for (const [pk, ssn] of [
      ["py-1", "123-45-6789"],
      ["py-2", "987-65-4321"],
    ]) {
      await plain.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: S(pk!),
            ssn: S(pydynoxEncrypt(dataKey.Plaintext!, dataKey.CiphertextBlob!, ssn!)),
          },
        }),
      );
    }
    kms.resetCalls();
    const app = clients(kms, {
      keyId: "alias/app-data",
      acceptFormats: ["pydynox"],
      tables: { [table]: { partitionKey: "pk", fields } },
    });
    expect(
      (await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "py-1" } }))).Item,
    ).toEqual({ pk: "py-1", ssn: "123-45-6789" });
    expect(
      (await app.doc.send(new GetCommand({ TableName: table, Key: { pk: "py-2" } }))).Item,
    ).toEqual({ pk: "py-2", ssn: "987-65-4321" });
    expect(kms.calls("Decrypt")).toBe(1); // the data-key cache applies
  });

  it("writes values with format: pydynox that the independent reader decrypts through KMS", async () => {
    const app = clients(kms, {
      keyId: "alias/app-data",
      tables: {
        [table]: { partitionKey: "pk", fields: { ssn: { ...fields.ssn, format: "pydynox" } } },
      },
    });
    await app.doc.send(
      new PutCommand({ TableName: table, Item: { pk: "ts-1", ssn: "123-45-6789" } }),
    );
    const value = await stored("ts-1");
    const dataKey = await kmsClient.send(
      new DecryptCommand({
        CiphertextBlob: pydynoxParts(value).wrapped,
        EncryptionContext: { service: "billing" },
      }),
    );
    expect(pydynoxDecrypt(dataKey.Plaintext!, value)).toBe("123-45-6789");
  });
});

describe("least privilege for both schemes and all three modes", () => {
  const config = (scheme: "envelope" | "kms", mode: "ReadWrite" | "WriteOnly" | "ReadOnly") => ({
    keyId: "alias/app-data",
    mode,
    tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme } } } },
  });

  it.each([
    ["envelope", ["kms:GenerateDataKey"], ["kms:Decrypt"]],
    ["kms", ["kms:Encrypt"], ["kms:Decrypt"]],
  ] as const)(
    "scheme %s: WriteOnly needs only %j, ReadOnly only %j, ReadWrite both",
    async (scheme, writeActions, readActions) => {
      kms.grant(`writer-${scheme}`, writeActions);
      kms.grant(`reader-${scheme}`, readActions);
      kms.grant(`both-${scheme}`, [...writeActions, ...readActions]);
      const writer = clients(kms, config(scheme, "WriteOnly"), `writer-${scheme}`);
      const reader = clients(kms, config(scheme, "ReadOnly"), `reader-${scheme}`);
      const both = clients(kms, config(scheme, "ReadWrite"), `both-${scheme}`);
      await writer.doc.send(
        new PutCommand({ TableName: table, Item: { pk: `lp-${scheme}`, ssn: "123-45-6789" } }),
      );
      expect(describeCiphertext(await stored(`lp-${scheme}`)).scheme).toBe(scheme);
      expect(
        (await reader.doc.send(new GetCommand({ TableName: table, Key: { pk: `lp-${scheme}` } })))
          .Item!.ssn,
      ).toBe("123-45-6789");
      await both.doc.send(
        new PutCommand({ TableName: table, Item: { pk: `lp2-${scheme}`, ssn: "1" } }),
      );
      expect(
        (await both.doc.send(new GetCommand({ TableName: table, Key: { pk: `lp2-${scheme}` } })))
          .Item!.ssn,
      ).toBe("1");
      // And the grants are real: each role is refused what it was not given.
      await expect(
        clients(kms, config(scheme, "ReadWrite"), `writer-${scheme}`).doc.send(
          new GetCommand({ TableName: table, Key: { pk: `lp-${scheme}` } }),
        ),
      ).rejects.toMatchObject({
        code: "kms.accessDenied",
      });
      await expect(
        clients(kms, config(scheme, "ReadWrite"), `reader-${scheme}`).doc.send(
          new PutCommand({ TableName: table, Item: { pk: "x", ssn: "1" } }),
        ),
      ).rejects.toMatchObject({ code: "kms.accessDenied" });
    },
  );

  it("the kms scheme makes one KMS call per value and decrypts identical ciphertexts in a response once", async () => {
    const app = clients(kms, config("kms", "ReadWrite"));
    for (let i = 0; i < 5; i++)
      await app.doc.send(
        new PutCommand({ TableName: table, Item: { pk: `per-${i}`, ssn: `v${i}` } }),
      );
    expect(kms.calls("Encrypt")).toBe(5);
    expect(kms.calls("GenerateDataKey")).toBe(0);
    // The same ciphertext twice in one response (list elements share the field's binding): one Decrypt.
    const lists = clients(kms, {
      keyId: "alias/app-data",
      tables: { [table]: { partitionKey: "pk", fields: { "codes[]": { scheme: "kms" } } } },
    });
    await lists.doc.send(new PutCommand({ TableName: table, Item: { pk: "dup", codes: ["one"] } }));
    const code = (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: S("dup") } })))
      .Item!.codes!.L![0]!;
    await plain.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: S("dup"), codes: { L: [code, code, code] } },
      }),
    );
    kms.resetCalls();
    expect(
      (await lists.doc.send(new GetCommand({ TableName: table, Key: { pk: "dup" } }))).Item!.codes,
    ).toEqual(["one", "one", "one"]);
    expect(kms.calls("Decrypt")).toBe(1);
  });
});

describe("key rotation on read, with KMS", () => {
  it("after keyId moves to a new key, new values use it and old ones, listed in decryptOnlyKeyIds, still decrypt; unlisted keys and allowedKeyArns refuse them", async () => {
    kms.createKey({ alias: "alias/rotate-old" });
    const current = kms.createKey({ alias: "alias/rotate-new" });
    for (const scheme of ["envelope", "kms"] as const) {
      const before = clients(kms, {
        keyId: "alias/rotate-old",
        tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme } } } },
      });
      await before.doc.send(
        new PutCommand({ TableName: table, Item: { pk: `rot-old-${scheme}`, ssn: "old" } }),
      );
      const after = clients(kms, {
        keyId: "alias/rotate-new",
        decryptOnlyKeyIds: ["alias/rotate-old"],
        tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme } } } },
      });
      await after.doc.send(
        new PutCommand({ TableName: table, Item: { pk: `rot-new-${scheme}`, ssn: "new" } }),
      );
      expect(
        (
          await after.doc.send(
            new GetCommand({ TableName: table, Key: { pk: `rot-old-${scheme}` } }),
          )
        ).Item!.ssn,
      ).toBe("old");
      expect(
        (
          await after.doc.send(
            new GetCommand({ TableName: table, Key: { pk: `rot-new-${scheme}` } }),
          )
        ).Item!.ssn,
      ).toBe("new");

      // A client that does not list the old key refuses its values, though IAM would let it decrypt them.
      const unlisted = clients(kms, {
        keyId: "alias/rotate-new",
        tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme } } } },
      });
      await expect(
        unlisted.doc.send(new GetCommand({ TableName: table, Key: { pk: `rot-old-${scheme}` } })),
      ).rejects.toMatchObject({ code: "kms.incorrectKey" });

      // allowedKeyArns refuses a listed key's values too, when its ARN is not allowed.
      const strictClient = kms.client();
      const low = new DynamoDBClient({
        endpoint: dynamoEndpoint(),
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      low.middlewareStack.use(
        fieldEncryption({
          keyId: "alias/rotate-new",
          decryptOnlyKeyIds: ["alias/rotate-old"],
          keyProvider: new KmsKeyProvider({ client: strictClient, allowedKeyArns: [current.arn] }),
          tables: { [table]: { partitionKey: "pk", fields: { ssn: { scheme } } } },
        }),
      );
      const doc = DynamoDBDocumentClient.from(low);
      expect(
        (await doc.send(new GetCommand({ TableName: table, Key: { pk: `rot-new-${scheme}` } })))
          .Item!.ssn,
      ).toBe("new");
      await expect(
        doc.send(new GetCommand({ TableName: table, Key: { pk: `rot-old-${scheme}` } })),
      ).rejects.toMatchObject({ code: "kms.incorrectKey" });
      low.destroy();
      strictClient.destroy();
    }
  });
});
