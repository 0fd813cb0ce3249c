import { randomBytes } from "node:crypto";
import { PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  type DataKey,
  EncryptionError,
  fieldEncryption,
  type FieldEncryptionConfig,
  type KeyProvider,
  LocalKeyProvider,
} from "../../src";
import { setup } from "../support/plugin-setup";

const KEYS = {
  "local/new": randomBytes(32),
  "local/old": randomBytes(32),
  "local/older": randomBytes(32),
};

/** A LocalKeyProvider that counts the decryptDataKey calls made to it. */
function countingProvider(): KeyProvider & { decrypts: number } {
  const inner = new LocalKeyProvider({ keys: KEYS });
  const provider = {
    id: inner.id,
    decrypts: 0,
    generateDataKey: (keyId: string, context: Record<string, string>): Promise<DataKey> =>
      inner.generateDataKey(keyId, context),
    decryptDataKey: (
      wrapped: Uint8Array,
      context: Record<string, string>,
      keyIds: readonly string[],
    ) => {
      provider.decrypts++;
      return inner.decryptDataKey(wrapped, context, keyIds);
    },
  };
  return provider;
}

/** `ssn` under local/new, with two retired keys it may still be under: three candidate keys per data key. */
function config(provider: KeyProvider, maxKmsCallsPerRequest: number): FieldEncryptionConfig {
  return {
    keyId: "local/new",
    keyProvider: provider,
    maxKmsCallsPerRequest,
    tables: {
      Users: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: { decryptOnlyKeyIds: ["local/old", "local/older"] } },
      },
    },
  };
}

/** Two items, each written by its own plugin instance, so each value has its own data key. */
async function twoDataKeys(max: number) {
  const provider = countingProvider();
  const ctx = setup(config(provider, max));
  for (const pk of ["a", "b"]) {
    const writer = ctx.fake.client();
    writer.middlewareStack.use(fieldEncryption(config(countingProvider(), 1000)));
    await writer.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { pk: { S: pk }, sk: { S: "s" }, ssn: { S: `ssn-${pk}` } },
      }),
    );
  }
  return { ...ctx, provider };
}

describe("maxKmsCallsPerRequest counts KMS calls, not data keys", () => {
  it("a page of 2 data keys, each of which may cost 3 Decrypt calls, is refused under a cap of 5, before any call", async () => {
    const { client, provider } = await twoDataKeys(5);
    const error = await client.send(new ScanCommand({ TableName: "Users" })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("kms.tooManyCalls");
    expect(provider.decrypts).toBe(0);
  });

  it("the same page is read under a cap of 6", async () => {
    const { client } = await twoDataKeys(6);
    const out = await client.send(new ScanCommand({ TableName: "Users" }));
    expect(out.Items!.map((i) => i.ssn!.S).sort()).toEqual(["ssn-a", "ssn-b"]);
  });
});
