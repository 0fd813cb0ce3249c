import type { KMSClient } from "@aws-sdk/client-kms";
import { EncryptionError, KmsKeyProvider } from "../../../src";
import { KmsTestServer } from "../../../src/testing";

/** KmsKeyProvider names the field's keys on every Decrypt, against the KMS test server, which enforces KeyId as AWS KMS does. */
let server: KmsTestServer;
let kms: KMSClient;
let current: { arn: string };
let retired: { arn: string };
let attacker: { arn: string };

beforeAll(async () => {
  server = await KmsTestServer.start();
  kms = server.client({ maxAttempts: 1 });
  current = server.createKey({ alias: "alias/current" });
  retired = server.createKey({ alias: "alias/retired" });
  attacker = server.createKey({ alias: "alias/attacker" });
});
afterAll(async () => {
  kms.destroy();
  await server.stop();
});
beforeEach(() => server.resetCalls());

const context = { purpose: "test" };

async function wrappedUnder(keyId: string): Promise<Uint8Array> {
  return (await new KmsKeyProvider({ client: kms }).generateDataKey(keyId, context)).wrapped;
}

async function failure(promise: Promise<unknown>): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

describe("KmsKeyProvider: only the field's keys may open its values", () => {
  it("opens a data key under the field's key (by alias) with exactly one Decrypt", async () => {
    const wrapped = await wrappedUnder("alias/current");
    server.resetCalls();
    const key = await new KmsKeyProvider({ client: kms }).decryptDataKey(wrapped, context, [
      "alias/current",
      "alias/retired",
    ]);
    expect(key).toHaveLength(32);
    expect(server.calls("Decrypt")).toBe(1);
  });

  it("opens a data key under a decrypt-only key after the current key's IncorrectKeyException", async () => {
    const wrapped = await wrappedUnder(retired.arn);
    server.resetCalls();
    const key = await new KmsKeyProvider({ client: kms }).decryptDataKey(wrapped, context, [
      "alias/current",
      "alias/retired",
    ]);
    expect(key).toHaveLength(32);
    expect(server.calls("Decrypt")).toBe(2);
  });

  it("refuses a data key under a key the caller may use but the field does not list (kms.incorrectKey)", async () => {
    const wrapped = await wrappedUnder(attacker.arn);
    const error = await failure(
      new KmsKeyProvider({ client: kms }).decryptDataKey(wrapped, context, [
        "alias/current",
        retired.arn,
      ]),
    );
    expect(error.code).toBe("kms.incorrectKey");
    expect(error.message).toContain("decryptOnlyKeyIds");
  });

  it("refuses when no key is listed, without calling KMS", async () => {
    const wrapped = await wrappedUnder("alias/current");
    server.resetCalls();
    const error = await failure(
      new KmsKeyProvider({ client: kms }).decryptDataKey(wrapped, context, []),
    );
    expect(error.code).toBe("kms.incorrectKey");
    expect(server.calls("Decrypt")).toBe(0);
  });

  it("a wrong context is kms.invalidCiphertext, not tried against the other keys", async () => {
    const wrapped = await wrappedUnder("alias/current");
    server.resetCalls();
    const error = await failure(
      new KmsKeyProvider({ client: kms }).decryptDataKey(wrapped, { purpose: "other" }, [
        "alias/current",
        "alias/retired",
      ]),
    );
    expect(error.code).toBe("kms.invalidCiphertext");
    expect(server.calls("Decrypt")).toBe(1);
  });

  it("allowedKeyArns still refuses a listed key whose ARN it does not name", async () => {
    const wrapped = await wrappedUnder("alias/retired");
    const error = await failure(
      new KmsKeyProvider({ client: kms, allowedKeyArns: [current.arn] }).decryptDataKey(
        wrapped,
        context,
        ["alias/current", "alias/retired"],
      ),
    );
    expect(error.code).toBe("kms.incorrectKey");
    expect(error.message).toContain("allowedKeyArns");
  });
});
