import { DecryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { KmsTestServer } from "../../../src/testing";

let server: KmsTestServer;

beforeAll(async () => {
  server = await KmsTestServer.start();
});
afterAll(async () => {
  await server.stop();
});

describe("KMS test server key policies with encryption-context conditions", () => {
  it("a key policy allows only its principals, its actions and its encryption context, as KMS evaluates it", async () => {
    const { arn } = server.createKey();
    server.setKeyPolicy(arn, [
      {
        principals: ["saas"],
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        encryptionContext: { tenant: "acme" },
      },
    ]);
    const saas = server.client({ accessKeyId: "saas", maxAttempts: 1 });
    const other = server.client({ accessKeyId: "other", maxAttempts: 1 });
    try {
      const made = await saas.send(
        new GenerateDataKeyCommand({
          KeyId: arn,
          KeySpec: "AES_256",
          EncryptionContext: { tenant: "acme", app: "x" },
        }),
      );
      await expect(
        saas.send(
          new DecryptCommand({
            CiphertextBlob: made.CiphertextBlob,
            EncryptionContext: { tenant: "acme", app: "x" },
          }),
        ),
      ).resolves.toMatchObject({ KeyId: arn });
      // Another tenant's context, no context, and another caller are all denied.
      await expect(
        saas.send(
          new GenerateDataKeyCommand({
            KeyId: arn,
            KeySpec: "AES_256",
            EncryptionContext: { tenant: "globex" },
          }),
        ),
      ).rejects.toMatchObject({ name: "AccessDeniedException" });
      await expect(
        saas.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: "AES_256" })),
      ).rejects.toMatchObject({ name: "AccessDeniedException" });
      await expect(
        other.send(
          new DecryptCommand({
            CiphertextBlob: made.CiphertextBlob,
            EncryptionContext: { tenant: "acme", app: "x" },
          }),
        ),
      ).rejects.toMatchObject({ name: "AccessDeniedException" });
      // Revoked: the statement removed, the caller is denied; removing the policy lets everyone in again.
      server.setKeyPolicy(arn, []);
      await expect(
        saas.send(
          new GenerateDataKeyCommand({
            KeyId: arn,
            KeySpec: "AES_256",
            EncryptionContext: { tenant: "acme" },
          }),
        ),
      ).rejects.toMatchObject({ name: "AccessDeniedException" });
      server.setKeyPolicy(arn, undefined);
      await expect(
        other.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: "AES_256" })),
      ).resolves.toMatchObject({ KeyId: arn });
    } finally {
      saas.destroy();
      other.destroy();
    }
  });
});
