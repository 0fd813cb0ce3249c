import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  createItemEncryptor,
  encryptImportStream,
  EncryptionError,
  type FieldEncryptionConfig,
  type LineFailure,
  LocalKeyProvider,
} from "../../../src";

const config: FieldEncryptionConfig = {
  keyId: "k",
  keyProvider: new LocalKeyProvider({ keys: { k: randomBytes(32) } }),
  tables: {
    Users: { partitionKey: "pk", sortKey: "sk", fields: { email: {}, "profile.ssn": {} } },
  },
};

const SSN = "123-45-6789";

/** Runs lines through import-encrypt, collecting the output and each failed line. */
async function runImport(lines: string[]) {
  const failures: LineFailure[] = [];
  let out = "";
  await pipeline(
    Readable.from([Buffer.from(`${lines.join("\n")}\n`)]),
    encryptImportStream(config, {
      table: "Users",
      maxFailedLines: 5,
      onLineError: (f) => failures.push(f),
    }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    }),
  );
  return { failures, out };
}

describe("the copy guard outside a client", () => {
  it("encryptItem refuses an item whose other attributes hold a copy, naming attribute and field", async () => {
    const encryptor = createItemEncryptor(config, { shape: "native" });
    const item = {
      pk: "u#1",
      sk: `EMAIL#JANE@EXAMPLE.COM`,
      email: "jane@example.com",
      profile: { ssn: SSN },
    };
    const error = await encryptor.encryptItem("Users", item).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EncryptionError);
    expect(error).toMatchObject({ code: "plaintext.copied", field: "email", attribute: "sk" });
    expect((error as Error).message).not.toContain("jane@example.com");
  });

  it("encryptItems searches each item for its own values only; a copy inside the encrypted field's own map is found too", async () => {
    const encryptor = createItemEncryptor(config, { shape: "native" });
    const ok = await encryptor.encryptItems("Users", [
      { pk: "u#1", sk: "p", email: "jane@example.com" },
      { pk: "u#2", sk: "p", note: "ask jane@example.com" },
    ]);
    expect(ok).toHaveLength(2);
    await expect(
      encryptor.encryptItem("Users", { pk: "u#3", sk: "p", profile: { ssn: SSN, old: SSN } }),
    ).rejects.toMatchObject({ code: "plaintext.copied", attribute: "profile.old" });
  });

  it("import-encrypt fails the line whose item holds a copy (key left out of the report), and writes the others encrypted once", async () => {
    const encryptor = createItemEncryptor(config);
    const lines = [
      { pk: { S: "u#1" }, sk: { S: "p" }, email: { S: "a@example.com" } },
      { pk: { S: "u#2" }, sk: { S: "b@example.com" }, email: { S: "b@example.com" } },
      { pk: { S: "u#3" }, sk: { S: "p" }, email: { S: "c@example.com" } },
    ].map((Item) => JSON.stringify({ Item }));
    const { failures, out } = await runImport(lines);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.line).toBe(2);
    expect(failures[0]!.error).toMatchObject({ code: "plaintext.copied", attribute: "sk" });
    expect(out).not.toContain("example.com");
    expect(String(failures[0]!.error)).not.toContain("b@example.com");
    // The other lines are encrypted once: they decrypt to their plaintext, not to a ciphertext.
    const back = await Promise.all(
      out
        .trim()
        .split("\n")
        .map((l) => encryptor.decryptItem("Users", JSON.parse(l).Item)),
    );
    expect(back.map((i) => i.email)).toEqual([{ S: "a@example.com" }, { S: "c@example.com" }]);
  });
});

describe("import-encrypt failures for other reasons", () => {
  it("do not print a key attribute that holds a copy of the line's values", async () => {
    const lines = [
      {
        pk: { S: "u#2" },
        sk: { S: "b@example.com" },
        email: { S: "b@example.com" },
        profile: { S: "not a map" },
      },
    ].map((Item) => JSON.stringify({ Item }));
    const { failures } = await runImport(lines);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toMatchObject({ code: "value.unsupportedType" });
    expect(String(failures[0]!.error)).not.toContain("b@example.com");
    expect(failures[0]!.key).toEqual({ pk: { S: "u#2" }, sk: { S: "[redacted: holds a copy]" } });
  });
});
