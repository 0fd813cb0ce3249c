/**
 * A generated export of 200,000 lines streams through gzip and both
 * transforms, every line checked as it passes, nothing collected: the memory
 * it takes is measured in the bench (`npm run bench -- --only export-memory`),
 * not asserted here.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import {
  decryptExportStream,
  encryptImportStream,
  type FieldEncryptionConfig,
  LocalKeyProvider,
} from "../../src";

const LINES = 200_000;
const config: FieldEncryptionConfig = {
  keyId: "k",
  keyProvider: new LocalKeyProvider({ keys: { k: randomBytes(32) } }),
  tables: { Users: { partitionKey: "pk", fields: { ssn: {}, "card.number": {} } } },
};
const line = (i: number) =>
  JSON.stringify({
    Item: {
      pk: { S: `u#${i}` },
      ssn: { S: `ssn-${i}` },
      card: { M: { number: { S: `4111-${i}` }, expiry: { S: "12/30" } } },
    },
  });

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "dfe-large-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`a ${LINES.toLocaleString("en")}-line gzip export goes through encryptImportStream and decryptExportStream line for line`, async () => {
  const file = join(dir, "export.json.gz");
  let leaked = 0;
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < LINES; i++) yield `${line(i)}\n`;
      })(),
    ),
    encryptImportStream(config, { table: "Users" }),
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        if (chunk.includes("ssn-") || chunk.includes("4111-")) leaked++;
        cb(null, chunk);
      },
    }),
    createGzip(),
    createWriteStream(file),
  );

  expect(leaked).toBe(0);

  let next = 0;
  let pending = "";
  let mismatches = 0;
  await pipeline(
    createReadStream(file),
    createGunzip(),
    decryptExportStream(config, { table: "Users" }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        const parts = (pending + chunk.toString()).split("\n");
        pending = parts.pop()!;
        for (const text of parts) if (text !== line(next++)) mismatches++;
        cb();
      },
    }),
  );
  expect(pending).toBe("");
  expect(mismatches).toBe(0);
  expect(next).toBe(LINES);
}, 600_000);
