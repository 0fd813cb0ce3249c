import { randomBytes } from "node:crypto";
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { resolveConfig } from "../../../src/config/resolve-config";
import { ItemCipher } from "../../../src/engine/item-cipher";
import type { FieldEncryptionConfig, FieldEncryptionEvent } from "../../../src";

const kms = mockClient(KMSClient);
/** What the mocked KMS would return for each wrapped key, as KMS would (keyed by blob and context). */
let vault: Map<string, Buffer>;

/** KMS GenerateDataKey as the mock answers it: a fresh key, recorded in the vault. */
const fakeGenerateDataKey = (input: { EncryptionContext?: Record<string, string> }) => {
  const plaintext = randomBytes(32);
  const blob = randomBytes(48);
  vault.set(
    blob.toString("hex") + JSON.stringify(input.EncryptionContext ?? {}),
    Buffer.from(plaintext),
  );
  return Promise.resolve({
    Plaintext: plaintext,
    CiphertextBlob: blob,
    KeyId: "arn:aws:kms:us-east-1:111122223333:key/x",
  });
};

beforeEach(() => {
  kms.reset();
  vault = new Map();
  kms.on(GenerateDataKeyCommand).callsFake(fakeGenerateDataKey);
  kms
    .on(DecryptCommand)
    .callsFake(
      (input: { CiphertextBlob: Uint8Array; EncryptionContext?: Record<string, string> }) => {
        const plaintext = vault.get(
          Buffer.from(input.CiphertextBlob).toString("hex") +
            JSON.stringify(input.EncryptionContext ?? {}),
        );
        if (!plaintext)
          return Promise.reject(
            Object.assign(new Error("invalid"), { name: "InvalidCiphertextException" }),
          );
        return Promise.resolve({ Plaintext: Buffer.from(plaintext) });
      },
    );
});

function cipherFor(
  extra: Partial<FieldEncryptionConfig> = {},
  fields: FieldEncryptionConfig["tables"][string]["fields"] = { ssn: {} },
) {
  const config = resolveConfig({
    keyId: "alias/app",
    kmsClient: new KMSClient({ region: "us-east-1" }),
    tables: { Users: { partitionKey: "pk", fields } },
    ...extra,
  });
  return { cipher: new ItemCipher(config), table: config.tables.get("Users")! };
}

const items = (n: number, field = "ssn") =>
  Array.from({ length: n }, (_, i) => ({ pk: { S: `user#${i}` }, [field]: { S: `secret-${i}` } }));

describe("KMS calls (KMS client mocked; the plugin's own code is real)", () => {
  it("1,000 concurrent puts on a cold cache make one GenerateDataKey, with the field's context", async () => {
    const { cipher, table } = cipherFor({ context: { app: "billing" } });
    await Promise.all(items(1000).map((item) => cipher.encryptItems([{ table, item }])));
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: "alias/app",
      KeySpec: "AES_256",
      EncryptionContext: { app: "billing" },
    });
  });

  it("reading 1,000 values under one data key makes one Decrypt, with the same context", async () => {
    const { cipher, table } = cipherFor({ context: { app: "billing" } });
    const written = items(1000);
    await cipher.encryptItems(written.map((item) => ({ table, item })));
    const { cipher: reader } = cipherFor({ context: { app: "billing" } });
    await Promise.all(written.map((item) => reader.decryptItems([{ table, item }])));
    expect(written[7]!.ssn).toEqual({ S: "secret-7" });
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      EncryptionContext: { app: "billing" },
    });
  });

  it("fields with different keys or contexts get different data keys", async () => {
    const { cipher, table } = cipherFor(
      {},
      { ssn: {}, tax: { context: { purpose: "tax" } }, card: { keyId: "alias/pci" } },
    );
    await cipher.encryptItems([
      { table, item: { pk: { S: "a" }, ssn: { S: "1" }, tax: { S: "2" }, card: { S: "3" } } },
    ]);
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: "alias/pci",
      EncryptionContext: {},
    });
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: "alias/app",
      EncryptionContext: { purpose: "tax" },
    });
  });

  it("maxUses bounds the values per data key, also within one request", async () => {
    const { cipher, table } = cipherFor({ cache: { maxUses: 10 } });
    await cipher.encryptItems(items(25).map((item) => ({ table, item })));
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
  });

  it("cache: false makes one GenerateDataKey per value and one Decrypt per value, like pydynox", async () => {
    const { cipher, table } = cipherFor({ cache: false });
    const written = items(20);
    await cipher.encryptItems(written.map((item) => ({ table, item })));
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 20);
    await cipher.decryptItems(written.map((item) => ({ table, item })));
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 20);
  });

  it("identical wrapped keys in one response are decrypted once even with the cache off", async () => {
    const { cipher, table } = cipherFor();
    const written = items(50);
    await cipher.encryptItems(written.map((item) => ({ table, item })));
    const { cipher: reader } = cipherFor({ cache: false });
    await reader.decryptItems(written.map((item) => ({ table, item })));
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
  });

  it("the read cache is keyed by context too: another context asks KMS again, which refuses it", async () => {
    const a = cipherFor({ context: { tenant: "a" } });
    const item = items(1)[0]!;
    await a.cipher.encryptItems([{ table: a.table, item }]);
    const stored = structuredClone(item);
    await a.cipher.decryptItems([{ table: a.table, item }]);
    const b = cipherFor({ context: { tenant: "b" } });
    await expect(b.cipher.decryptItems([{ table: b.table, item: stored }])).rejects.toMatchObject({
      code: "kms.invalidCiphertext",
      field: "ssn",
      table: "Users",
    });
  });

  it("a failed GenerateDataKey is not cached: the next request calls KMS again", async () => {
    const { cipher, table } = cipherFor();
    kms
      .on(GenerateDataKeyCommand)
      .rejectsOnce(Object.assign(new Error("boom"), { name: "ThrottlingException" }))
      .callsFake(fakeGenerateDataKey);
    const item = items(1)[0]!;
    await expect(cipher.encryptItems([{ table, item }])).rejects.toMatchObject({
      code: "kms.throttled",
    });
    expect(item.ssn).toEqual({ S: "secret-0" }); // nothing was changed
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    await cipher.encryptItems([{ table, item }]);
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    expect(item.ssn?.S).toMatch(/^ENC:/);
    await cipher.decryptItems([{ table, item }]);
    expect(item.ssn).toEqual({ S: "secret-0" });
  });

  it("reports KMS calls and cache lookups through onEvent, and a throwing hook breaks nothing", async () => {
    const events: FieldEncryptionEvent[] = [];
    const { cipher, table } = cipherFor({
      onEvent: (e) => {
        events.push(e);
        throw new Error("hook failure");
      },
    });
    await cipher.encryptItems(items(3).map((item) => ({ table, item })));
    await cipher.encryptItems(items(1).map((item) => ({ table, item })));
    expect(events.filter((e) => e.type === "kms")).toEqual([
      expect.objectContaining({ type: "kms", operation: "generateDataKey", ok: true }),
    ]);
    expect(events.filter((e) => e.type === "cache")).toEqual([
      { type: "cache", use: "encrypt", hit: false },
      { type: "cache", use: "encrypt", hit: true },
    ]);
  });
});

describe("KMS errors become EncryptionError codes, with the KMS error as cause", () => {
  it.each([
    ["NotFoundException", "kms.keyNotFound"],
    ["AccessDeniedException", "kms.accessDenied"],
    ["DisabledException", "kms.keyDisabled"],
    ["KMSInvalidStateException", "kms.keyDisabled"],
    ["InvalidCiphertextException", "kms.invalidCiphertext"],
    ["IncorrectKeyException", "kms.incorrectKey"],
    ["ThrottlingException", "kms.throttled"],
    ["KMSInternalException", "kms.failed"],
  ])("%s -> %s", async (name, code) => {
    kms.on(GenerateDataKeyCommand).rejects(Object.assign(new Error(`${name} message`), { name }));
    const { cipher, table } = cipherFor();
    const error = await cipher.encryptItems([{ table, item: items(1)[0]! }]).then(
      () => undefined,
      (e: unknown) => e as { code: string; cause: Error; field: string; message: string },
    );
    expect(error).toMatchObject({ code, field: "ssn", table: "Users" });
    expect(error!.message).not.toContain("secret-0");
    expect(JSON.stringify(error!.cause, Object.getOwnPropertyNames(error!.cause))).not.toContain(
      "secret-0",
    );
  });
});
