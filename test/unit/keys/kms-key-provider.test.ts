/**
 * KmsKeyProvider on a mocked KMS client (the one mock the suite allows): the
 * commands it sends, every check it makes on KMS's answers, and how KMS
 * errors become `kms.*` codes.
 */
import { randomBytes } from "node:crypto";
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { EncryptionError, KmsKeyProvider } from "../../../src";
import { kmsError } from "../../../src/keys/kms-errors";

const kms = mockClient(KMSClient);
const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_ARN = "arn:aws:kms:us-east-1:444455556666:key/0000aaaa-00aa-00aa-00aa-000000000000";
const CONTEXT = { purpose: "test" };
const KEY_IDS = ["alias/app"];

/** The provider's error for `call`, which must reject with an EncryptionError. */
async function failure(call: Promise<unknown>): Promise<EncryptionError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  return error as EncryptionError;
}

const kmsException = (name: string) => Object.assign(new Error(`${name} from KMS`), { name });

const provider = (options: ConstructorParameters<typeof KmsKeyProvider>[0] = {}) =>
  new KmsKeyProvider({ client: new KMSClient({ region: "us-east-1" }), ...options });

beforeEach(() => kms.reset());

describe("generateDataKey", () => {
  it("asks KMS for an AES_256 data key under the key and context, and returns it", async () => {
    const plaintext = randomBytes(32);
    const wrapped = randomBytes(64);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plaintext, CiphertextBlob: wrapped });
    const key = await provider().generateDataKey("alias/app", CONTEXT);
    expect(key.plaintext).toBe(plaintext);
    expect(key.wrapped).toBe(wrapped);
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: "alias/app",
      KeySpec: "AES_256",
      EncryptionContext: CONTEXT,
    });
  });

  it.each([
    ["a 31-byte plaintext", { Plaintext: randomBytes(31), CiphertextBlob: randomBytes(64) }],
    ["a 33-byte plaintext", { Plaintext: randomBytes(33), CiphertextBlob: randomBytes(64) }],
    ["an empty plaintext", { Plaintext: new Uint8Array(0), CiphertextBlob: randomBytes(64) }],
    ["no plaintext", { CiphertextBlob: randomBytes(64) }],
    ["no wrapped key", { Plaintext: randomBytes(32) }],
  ])(
    "refuses an answer with %s (kms.failed): only a 32-byte key is an AES-256 key",
    async (_, out) => {
      kms.on(GenerateDataKeyCommand).resolves(out);
      const error = await failure(provider().generateDataKey("alias/app", CONTEXT));
      expect(error.code).toBe("kms.failed");
      expect(error.message).toContain("GenerateDataKey");
    },
  );

  it("lazily makes its own client in the configured region when given none", async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: randomBytes(32), CiphertextBlob: randomBytes(64) });
    const own = new KmsKeyProvider({ region: "eu-west-3" });
    await own.generateDataKey("alias/app", CONTEXT);
    await own.generateDataKey("alias/app", CONTEXT);
    const clients = new Set(kms.send.getCalls().map((call) => call.thisValue as KMSClient));
    expect(clients.size).toBe(1); // made once, then reused
    const [client] = clients;
    expect(await client!.config.region()).toBe("eu-west-3");
  });

  it("with no options, makes a client in the SDK's usual region (AWS_REGION here)", async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: randomBytes(32), CiphertextBlob: randomBytes(64) });
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = "ap-south-1";
    try {
      await new KmsKeyProvider().generateDataKey("alias/app", CONTEXT);
      const client = kms.send.getCall(0).thisValue as KMSClient;
      expect(await client.config.region()).toBe("ap-south-1");
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });
});

describe("decryptDataKey", () => {
  it("sends the wrapped key with its context and the field's key, and returns the 32-byte key", async () => {
    const plaintext = randomBytes(32);
    const wrapped = randomBytes(64);
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: KEY_ARN });
    expect(await provider().decryptDataKey(wrapped, CONTEXT, KEY_IDS)).toBe(plaintext);
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      CiphertextBlob: wrapped,
      EncryptionContext: CONTEXT,
      KeyId: "alias/app",
    });
  });

  it.each([31, 33, 0])(
    "refuses a %i-byte key (kms.failed) and zeroes what KMS returned",
    async (length) => {
      const plaintext = Buffer.alloc(length, 0xab);
      kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: KEY_ARN });
      const error = await failure(provider().decryptDataKey(randomBytes(64), CONTEXT, KEY_IDS));
      expect(error.code).toBe("kms.failed");
      expect(plaintext.every((b) => b === 0)).toBe(true);
    },
  );

  it("refuses an answer with no plaintext (kms.failed)", async () => {
    kms.on(DecryptCommand).resolves({ KeyId: KEY_ARN });
    expect((await failure(provider().decryptDataKey(randomBytes(64), CONTEXT, KEY_IDS))).code).toBe(
      "kms.failed",
    );
  });
});

describe("encrypt and decrypt (the kms scheme)", () => {
  it("encrypt sends the key, value and context, and returns KMS's ciphertext", async () => {
    const blob = randomBytes(100);
    const value = Buffer.from("a value");
    kms.on(EncryptCommand).resolves({ CiphertextBlob: blob, KeyId: KEY_ARN });
    expect(await provider().encrypt("alias/app", value, CONTEXT)).toBe(blob);
    expect(kms).toHaveReceivedCommandWith(EncryptCommand, {
      KeyId: "alias/app",
      Plaintext: value,
      EncryptionContext: CONTEXT,
    });
  });

  it("encrypt refuses an answer with no ciphertext (kms.failed)", async () => {
    kms.on(EncryptCommand).resolves({ KeyId: KEY_ARN });
    const error = await failure(provider().encrypt("alias/app", Buffer.from("x"), CONTEXT));
    expect(error.code).toBe("kms.failed");
    expect(error.message).toContain("Encrypt");
  });

  it("decrypt returns KMS's plaintext, and refuses an answer with none (kms.failed)", async () => {
    const plaintext = Buffer.from("a value");
    kms.on(DecryptCommand).resolvesOnce({ Plaintext: plaintext, KeyId: KEY_ARN }).resolves({});
    expect(await provider().decrypt(randomBytes(100), CONTEXT, KEY_IDS)).toBe(plaintext);
    expect((await failure(provider().decrypt(randomBytes(100), CONTEXT, KEY_IDS))).code).toBe(
      "kms.failed",
    );
  });
});

describe("allowedKeyArns", () => {
  it("accepts a value made under a listed key", async () => {
    const plaintext = randomBytes(32);
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: KEY_ARN });
    const allowed = provider({ allowedKeyArns: [OTHER_ARN, KEY_ARN] });
    expect(await allowed.decryptDataKey(randomBytes(64), CONTEXT, KEY_IDS)).toBe(plaintext);
  });

  it.each([
    ["an unlisted key", OTHER_ARN],
    ["no key ARN in the answer", undefined],
  ])("refuses %s with kms.incorrectKey and zeroes the plaintext KMS returned", async (_, keyId) => {
    const plaintext = Buffer.alloc(32, 0xcd);
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: keyId });
    const allowed = provider({ allowedKeyArns: [KEY_ARN] });
    const error = await failure(allowed.decryptDataKey(randomBytes(64), CONTEXT, KEY_IDS));
    expect(error.code).toBe("kms.incorrectKey");
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });

  it("also applies to the kms scheme's decrypt", async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from("x"), KeyId: OTHER_ARN });
    const allowed = provider({ allowedKeyArns: [KEY_ARN] });
    expect((await failure(allowed.decrypt(randomBytes(100), CONTEXT, KEY_IDS))).code).toBe(
      "kms.incorrectKey",
    );
  });
});

describe("KMS errors become kms.* codes, with the KMS error as cause", () => {
  const cases: [string, string][] = [
    ["NotFoundException", "kms.keyNotFound"],
    ["AccessDeniedException", "kms.accessDenied"],
    ["DisabledException", "kms.keyDisabled"],
    ["KMSInvalidStateException", "kms.keyDisabled"],
    ["InvalidCiphertextException", "kms.invalidCiphertext"],
    ["IncorrectKeyException", "kms.incorrectKey"],
    ["ThrottlingException", "kms.throttled"],
    ["TooManyRequestsException", "kms.throttled"],
    ["LimitExceededException", "kms.throttled"],
    ["KMSInternalException", "kms.failed"],
    ["DependencyTimeoutException", "kms.failed"],
    ["toString", "kms.failed"], // named like an Object property: still kms.failed
    ["constructor", "kms.failed"],
  ];

  const calls: [string, (error: Error) => void, (p: KmsKeyProvider) => Promise<unknown>][] = [
    [
      "GenerateDataKey",
      (e) => kms.on(GenerateDataKeyCommand).rejects(e),
      (p) => p.generateDataKey("alias/app", CONTEXT),
    ],
    [
      "Decrypt",
      (e) => kms.on(DecryptCommand).rejects(e),
      (p) => p.decryptDataKey(randomBytes(64), CONTEXT, KEY_IDS),
    ],
    [
      "Encrypt",
      (e) => kms.on(EncryptCommand).rejects(e),
      (p) => p.encrypt("alias/app", Buffer.from("x"), CONTEXT),
    ],
  ];

  describe.each(calls)("%s", (action, kmsRejects, call) => {
    it.each(cases)("%s -> %s", async (name, code) => {
      const cause = kmsException(name);
      kmsRejects(cause);
      const error = await failure(call(provider()));
      expect(error.code).toBe(code);
      expect(error.cause).toBe(cause);
      expect(error.message).toContain(`KMS ${action} failed (${name})`);
    });
  });
});

describe("kmsError", () => {
  it("passes an EncryptionError through unchanged", () => {
    const original = new EncryptionError("kms.throttled", "already mapped");
    expect(kmsError(original, "Decrypt")).toBe(original);
  });

  it.each([
    ["a string", "boom"],
    ["null", null],
    ["an object whose name is not a string", { name: 42 }],
  ])("maps %s to kms.failed, with it as cause", (_, thrown) => {
    const error = kmsError(thrown, "Decrypt");
    expect(error.code).toBe("kms.failed");
    expect(error.cause).toBe(thrown);
    expect(error.message).toMatch(/^KMS Decrypt failed \(/);
  });

  it("says what to do for each mapped code, and never echoes the KMS message", () => {
    for (const name of ["NotFoundException", "LimitExceededException", "AccessDeniedException"]) {
      const error = kmsError(
        Object.assign(new Error("secret-looking KMS message"), { name }),
        "GenerateDataKey",
      );
      expect(error.message).not.toContain("secret-looking");
      expect(error.message).not.toMatch(/see the cause$/);
    }
    expect(kmsError(kmsException("KMSInternalException"), "Encrypt").message).toMatch(
      /see the cause$/,
    );
  });
});
