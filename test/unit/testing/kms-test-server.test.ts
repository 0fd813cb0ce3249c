import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  type KMSClient,
  ListAliasesCommand,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { KmsTestServer } from "../../../src/testing";

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

let server: KmsTestServer;
let kms: KMSClient;

beforeAll(async () => {
  server = await KmsTestServer.start();
  kms = server.client({ maxAttempts: 1 });
});
afterAll(async () => {
  kms.destroy();
  await server.stop();
});
beforeEach(() => {
  server.resetCalls();
  server.resetPermissions();
  server.setLatency(0);
  server.failNext(0);
});

async function newKey(alias?: string) {
  const out = await kms.send(new CreateKeyCommand({ Description: "test" }));
  const keyId = out.KeyMetadata!.KeyId!;
  if (alias) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return { keyId, arn: out.KeyMetadata!.Arn! };
}

describe("keys and aliases", () => {
  it("creates a key and describes it by key ID, key ARN, alias name and alias ARN", async () => {
    const { keyId, arn } = await newKey("alias/describe-me");
    expect(arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    for (const id of [
      keyId,
      arn,
      "alias/describe-me",
      "arn:aws:kms:us-east-1:111122223333:alias/describe-me",
    ]) {
      const out = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      expect(out.KeyMetadata).toMatchObject({
        KeyId: keyId,
        Arn: arn,
        Enabled: true,
        KeyState: "Enabled",
        KeyUsage: "ENCRYPT_DECRYPT",
      });
      expect(out.KeyMetadata!.CreationDate).toBeInstanceOf(Date);
    }
  });

  it("lists aliases, all of them or those of one key", async () => {
    const a = await newKey("alias/list-a");
    await newKey("alias/list-b");
    const all = await kms.send(new ListAliasesCommand({}));
    expect(all.Aliases!.map((x) => x.AliasName)).toEqual(
      expect.arrayContaining(["alias/list-a", "alias/list-b"]),
    );
    const one = await kms.send(new ListAliasesCommand({ KeyId: a.keyId }));
    expect(one.Aliases).toEqual([
      {
        AliasName: "alias/list-a",
        AliasArn: "arn:aws:kms:us-east-1:111122223333:alias/list-a",
        TargetKeyId: a.keyId,
      },
    ]);
  });

  it("refuses a duplicate alias and a reserved one", async () => {
    const { keyId } = await newKey("alias/dup");
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: "alias/dup", TargetKeyId: keyId })),
    ).rejects.toMatchObject({ name: "AlreadyExistsException" });
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: "alias/aws/x", TargetKeyId: keyId })),
    ).rejects.toMatchObject({ name: "NotAuthorizedException" });
  });

  it.each([
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    "alias/missing",
    "arn:aws:kms:us-east-1:111122223333:key/nope",
    "arn:aws:kms:eu-west-1:111122223333:alias/x",
  ])("gives NotFoundException for an unknown key %s", async (id) => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: id }))).rejects.toMatchObject({
      name: "NotFoundException",
    });
    await expect(
      kms.send(new EncryptCommand({ KeyId: id, Plaintext: text("x") })),
    ).rejects.toMatchObject({ name: "NotFoundException" });
  });
});

describe("Encrypt and Decrypt", () => {
  it("round-trips, with Decrypt finding the key from the blob", async () => {
    const { arn } = await newKey("alias/rt");
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: "alias/rt",
        Plaintext: text("secret"),
        EncryptionContext: { a: "1" },
      }),
    );
    expect(enc.KeyId).toBe(arn);
    expect(decode(enc.CiphertextBlob)).not.toContain("secret");
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: "1" } }),
    );
    expect(decode(dec.Plaintext)).toBe("secret");
    expect(dec.KeyId).toBe(arn);
  });

  it("accepts a matching KeyId on Decrypt and gives IncorrectKeyException for another key", async () => {
    const a = await newKey();
    const b = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: a.keyId, Plaintext: text("x") }));
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: a.arn })),
    ).resolves.toMatchObject({ KeyId: a.arn });
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: b.keyId })),
    ).rejects.toMatchObject({ name: "IncorrectKeyException" });
  });

  it("gives InvalidCiphertextException for a changed blob, any flipped byte", async () => {
    const { keyId } = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") }));
    const blob = enc.CiphertextBlob!;
    for (let i = 0; i < blob.length; i++) {
      const changed = Uint8Array.from(blob);
      changed[i] = changed[i]! ^ 0x01;
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: changed }))).rejects.toMatchObject(
        { name: "InvalidCiphertextException" },
      );
    }
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, 20) })),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("gives InvalidCiphertextException when the encryption context differs, is missing or is extra", async () => {
    const { keyId } = await newKey();
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: text("x"),
        EncryptionContext: { tenant: "a" },
      }),
    );
    for (const context of [{ tenant: "b" }, undefined, { tenant: "a", extra: "1" }] as (
      Record<string, string> | undefined
    )[]) {
      await expect(
        kms.send(
          new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }),
        ),
      ).rejects.toMatchObject({
        name: "InvalidCiphertextException",
      });
    }
    // The order of context entries does not matter.
    const two = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: text("x"),
        EncryptionContext: { a: "1", b: "2" },
      }),
    );
    await expect(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: two.CiphertextBlob,
          EncryptionContext: { b: "2", a: "1" },
        }),
      ),
    ).resolves.toBeDefined();
  });

  it("gives ValidationException for more than 4,096 bytes of plaintext", async () => {
    const { keyId } = await newKey();
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(4096) })),
    ).resolves.toBeDefined();
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(4097) })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });
});

describe("data keys", () => {
  it("GenerateDataKey with KeySpec AES_256 gives a 32-byte key whose blob decrypts to it", async () => {
    const { keyId } = await newKey();
    const out = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: keyId,
        KeySpec: "AES_256",
        EncryptionContext: { f: "ssn" },
      }),
    );
    expect(out.Plaintext).toHaveLength(32);
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { f: "ssn" } }),
    );
    expect(Buffer.from(dec.Plaintext!)).toEqual(Buffer.from(out.Plaintext!));
  });

  it("GenerateDataKey with NumberOfBytes, and validation of the two options", async () => {
    const { keyId } = await newKey();
    expect(
      (await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 64 }))).Plaintext,
    ).toHaveLength(64);
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: "ValidationException",
    });
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", NumberOfBytes: 32 })),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 2000 })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("GenerateDataKeyWithoutPlaintext returns only the blob, which Decrypt opens", async () => {
    const { keyId } = await newKey();
    const out = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: "AES_256" }),
    );
    expect(out).not.toHaveProperty("Plaintext");
    expect(
      (await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob }))).Plaintext,
    ).toHaveLength(32);
  });

  it("ReEncrypt moves a ciphertext to another key and context", async () => {
    const a = await newKey();
    const b = await newKey();
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: a.keyId,
        Plaintext: text("move me"),
        EncryptionContext: { v: "1" },
      }),
    );
    const re = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: { v: "1" },
        DestinationKeyId: b.keyId,
        DestinationEncryptionContext: { v: "2" },
      }),
    );
    expect(re).toMatchObject({ SourceKeyId: a.arn, KeyId: b.arn });
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: "2" } }),
    );
    expect(decode(dec.Plaintext)).toBe("move me");
    expect(dec.KeyId).toBe(b.arn);
    await expect(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          SourceEncryptionContext: { v: "x" },
          DestinationKeyId: b.keyId,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });
});

describe("key state", () => {
  it("a disabled key gives DisabledException for every cryptographic call until enabled", async () => {
    const { keyId } = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") }));
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      Enabled: false,
      KeyState: "Disabled",
    });
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toMatchObject({ name: "DisabledException" });
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" })),
    ).rejects.toMatchObject({ name: "DisabledException" });
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
    ).rejects.toMatchObject({ name: "DisabledException" });
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
    ).resolves.toBeDefined();
  });

  it("a key pending deletion gives KMSInvalidStateException", async () => {
    const { keyId } = server.createKey();
    server.scheduleKeyDeletion(keyId);
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toMatchObject({ name: "KMSInvalidStateException" });
  });
});

describe("permissions", () => {
  it("gives AccessDeniedException naming the action a caller may not perform", async () => {
    const { keyId } = server.createKey({ alias: "alias/perm" });
    server.grant("writer", ["kms:GenerateDataKey"]);
    const writer = server.client({ accessKeyId: "writer", maxAttempts: 1 });
    const key = await writer.send(
      new GenerateDataKeyCommand({ KeyId: "alias/perm", KeySpec: "AES_256" }),
    );
    const denied = writer.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob }));
    await expect(denied).rejects.toMatchObject({ name: "AccessDeniedException" });
    await expect(denied).rejects.toThrow(/kms:Decrypt/);
    await expect(
      writer.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toThrow(/kms:Encrypt/);
    // Other callers are unaffected.
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob })),
    ).resolves.toBeDefined();
    server.revokeAll("writer");
    await expect(
      writer.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" })),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    writer.destroy();
  });
});

describe("test controls", () => {
  it("counts calls per operation and resets them", async () => {
    const { keyId } = server.createKey();
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") }));
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("y") }));
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(server.calls("Encrypt")).toBe(2);
    expect(server.calls("DescribeKey")).toBe(1);
    expect(server.calls()).toBe(3);
    server.resetCalls();
    expect(server.calls()).toBe(0);
  });

  it("fails the next N calls with ThrottlingException, which the SDK retries", async () => {
    const { keyId } = server.createKey();
    const retrying = server.client({ maxAttempts: 3 });
    server.failNext(2);
    await expect(
      retrying.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).resolves.toBeDefined();
    expect(server.calls("Encrypt")).toBe(3);
    server.failNext(5);
    await expect(
      retrying.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
    server.failNext(0);
    retrying.destroy();
  }, 20_000);

  it("adds latency per call: each answer waits for a timer of that many milliseconds", async () => {
    const { keyId } = server.createKey();
    // Observe the timers set with the latency's delay, and the order of events around them.
    const events: string[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = jest.spyOn(globalThis, "setTimeout").mockImplementation(((
      callback: (...args: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      if (ms !== 120) return realSetTimeout(callback, ms, ...args);
      events.push("latency timer set");
      return realSetTimeout(() => {
        events.push("latency timer fired");
        callback(...args);
      }, ms);
    }) as typeof setTimeout);
    try {
      server.setLatency(120);
      for (const value of ["x", "y"]) {
        await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text(value) }));
        events.push("answer received");
      }
    } finally {
      spy.mockRestore();
    }
    expect(events).toEqual([
      "latency timer set",
      "latency timer fired",
      "answer received",
      "latency timer set",
      "latency timer fired",
      "answer received",
    ]);
  });

  it("can be unavailable with HTTP 500s or refused connections, and recovers", async () => {
    const { keyId } = server.createKey();
    await server.setUnavailable("error500");
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    await server.setUnavailable("refuse");
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).rejects.toThrow(/ECONNREFUSED/);
    await server.setUnavailable(false);
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text("x") })),
    ).resolves.toBeDefined();
  });
});
