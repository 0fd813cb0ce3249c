import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  createItemEncryptor,
  decryptExportStream,
  encryptImportStream,
  EncryptionError,
  type FieldEncryptionConfig,
  type LineFailure,
  LocalKeyProvider,
} from "../../../src";

const config: FieldEncryptionConfig = {
  keyId: "k",
  keyProvider: new LocalKeyProvider({ keys: { k: randomBytes(32) } }),
  tables: { Users: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } } },
};
const encryptor = createItemEncryptor(config, { shape: "json" });

const line = (i: number) =>
  JSON.stringify({ Item: { pk: { S: `u#${i}` }, sk: { S: "p" }, ssn: { S: `secret-${i}-€ü` } } });

async function run(
  transform: NodeJS.ReadWriteStream,
  input: string | (string | Buffer)[],
): Promise<{ out: string; error: unknown }> {
  let out = "";
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const source = Readable.from(
    typeof input === "string"
      ? [Buffer.from(input)]
      : input.map((s) => (typeof s === "string" ? Buffer.from(s) : s)),
  );
  const error = await pipeline(source, transform, sink).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { out, error };
}

describe("encryptImportStream and decryptExportStream", () => {
  it("round-trip lines split across arbitrary chunk boundaries, in order", async () => {
    const text = `${Array.from({ length: 1200 }, (_, i) => line(i)).join("\n")}\n`;
    // Chunks of 997 bytes cut inside lines and inside multi-byte characters.
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 997) chunks.push(bytes.subarray(i, i + 997));
    const encrypted = await run(
      encryptImportStream(config, { table: "Users", batchSize: 100 }),
      chunks,
    );
    expect(encrypted.error).toBeUndefined();
    expect(encrypted.out).not.toContain("secret-");
    const decrypted = await run(decryptExportStream(config, { table: "Users" }), encrypted.out);
    expect(decrypted.error).toBeUndefined();
    expect(decrypted.out).toBe(text);
  });

  it("reads a last line without a newline, CRLF line ends and blank lines", async () => {
    const stored = await encryptor.encryptItem("Users", JSON.parse(line(1)).Item);
    const input = `\r\n${JSON.stringify({ Item: stored })}\r\n\n${JSON.stringify({ Item: stored })}`;
    const { out, error } = await run(decryptExportStream(config, { table: "Users" }), input);
    expect(error).toBeUndefined();
    expect(out).toBe(`${line(1)}\n${line(1)}\n`);
  });

  it("a malformed line fails the stream with its line number (export.lineInvalid)", async () => {
    const { error } = await run(
      encryptImportStream(config, { table: "Users" }),
      `${line(1)}\n{"Item": \n`,
    );
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("export.lineInvalid");
    expect((error as Error).message).toMatch(/^Line 2 /);
  });

  it('a line that is JSON but not {"Item": …} is refused', async () => {
    const { error } = await run(
      encryptImportStream(config, { table: "Users" }),
      `{"pk":{"S":"x"}}\n`,
    );
    expect((error as EncryptionError).code).toBe("export.lineInvalid");
  });

  it("with maxFailedLines, failed lines are left out and reported by line number and key, never value", async () => {
    const good = await encryptor.encryptItem("Users", JSON.parse(line(1)).Item);
    const moved = { ...JSON.parse(line(2)).Item, ssn: good.ssn };
    const failures: LineFailure[] = [];
    const transform = decryptExportStream(config, {
      table: "Users",
      maxFailedLines: 5,
      onLineError: (f) => failures.push(f),
    });
    const input = [
      JSON.stringify({ Item: good }),
      JSON.stringify({ Item: moved }),
      "nope",
      "",
    ].join("\n");
    const { out, error } = await run(transform, input);
    expect(error).toBeUndefined();
    expect(out).toBe(`${line(1)}\n`);
    expect(failures.map((f) => [f.line, f.key, (f.error as EncryptionError).code])).toEqual([
      [3, undefined, "export.lineInvalid"],
      [2, { pk: { S: "u#2" }, sk: { S: "p" } }, "ciphertext.tampered"],
    ]);
    expect(failures[1]!.error.message).toContain('Line 2 (key {"pk":{"S":"u#2"},"sk":{"S":"p"}})');
    for (const f of failures) expect(f.error.message).not.toContain("secret-");
    expect(transform.stats).toEqual(expect.objectContaining({ lines: 3, items: 1, failed: 2 }));
  });

  it("one failure more than maxFailedLines fails the stream", async () => {
    const { error } = await run(
      encryptImportStream(config, { table: "Users", maxFailedLines: 1 }),
      "x\ny\n",
    );
    expect((error as Error).message).toMatch(/^Line 2 /);
  });

  it("an unknown table is refused before any line is read (table.unknown)", () => {
    expect(() => decryptExportStream(config, { table: "Orders" })).toThrow(
      expect.objectContaining({ code: "table.unknown" }),
    );
  });

  it("a line longer than maxLineBytes fails instead of growing memory", async () => {
    const { error } = await run(
      encryptImportStream(config, { table: "Users", maxLineBytes: 1000 }),
      [line(1), "x".repeat(600), "y".repeat(600)],
    );
    expect((error as EncryptionError).code).toBe("export.lineInvalid");
  });

  it("holds a bounded number of lines: with a stalled consumer it stops reading its input", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${line(i)}\n`);
    let pulled = 0;
    const source = new Readable({
      read() {
        this.push(pulled < lines.length ? lines[pulled++] : null);
      },
    });
    const transform = encryptImportStream(config, { table: "Users", batchSize: 50 });
    source.pipe(transform); // nothing reads the transform's output
    // Let the pipe run until it settles (each turn lets it read and transform what it can).
    for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
    // The input stalls once the transform's buffers are full: far below the 20,000 lines on offer.
    expect(pulled).toBeLessThan(2_000);
    source.destroy();
    transform.destroy();
  });
});
