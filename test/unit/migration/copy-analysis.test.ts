import { LocalKeyProvider, type FieldEncryptionConfig } from "../../../src";
import { resolveConfig } from "../../../src/config/resolve-config";
import { findStoredCopies } from "../../../src/migration/copy-analysis";
import type { ItemAnalysis } from "../../../src/migration/page-analysis";

const config = {
  keyId: "k",
  keyProvider: new LocalKeyProvider({ keys: { k: new Uint8Array(32) } }),
  tables: { Users: { partitionKey: "pk", sortKey: "sk", fields: { email: {}, ssn: {} } } },
} as FieldEncryptionConfig;
const table = resolveConfig(config).tables.get("Users")!;
const target = (path: string) => ({ field: table.fields.find((f) => f.path === path)!, table });

function analysis(
  item: Record<string, unknown>,
  decrypted?: Record<string, unknown>,
): ItemAnalysis {
  return {
    item: item as never,
    fields: [
      {
        target: target("email"),
        states: [],
        ...(decrypted ? { decrypted: decrypted as never } : {}),
      },
      { target: target("ssn"), states: [] },
    ],
  };
}

describe("findStoredCopies (verify)", () => {
  it("names every key attribute that holds a copy, whichever copy is reported", () => {
    const item = {
      note: { S: "mail bob@example.com" },
      pk: { S: "user#BOB@example.com" },
      sk: { S: "email#bob@example.com" },
      email: { S: "bob@example.com" },
    };
    const [copy] = findStoredCopies(table, [analysis(item)]);
    expect(copy).toMatchObject({ attribute: "note", field: "email" });
    expect(copy!.keyCopies).toEqual(["pk", "sk"]);
  });

  it("uses the decrypted value of an encrypted field; skips the fields' own values and ENC: text that did not decrypt", () => {
    const stored = {
      pk: { S: "u#1" },
      sk: { S: "p" },
      email: { S: "ENC:abc" },
      other: { S: "x jane@example.com" },
    };
    expect(findStoredCopies(table, [analysis(stored)])).toEqual([]);
    const [copy] = findStoredCopies(table, [
      analysis(stored, { ...stored, email: { S: "jane@example.com" } }),
    ]);
    expect(copy).toMatchObject({ attribute: "other", field: "email", keyCopies: [] });
  });

  it("an item without copies is not reported", () => {
    const item = {
      pk: { S: "u#2" },
      sk: { S: "p" },
      email: { S: "carol@example.com" },
      ssn: { S: "123-45-6789" },
    };
    expect(findStoredCopies(table, [analysis(item)])).toEqual([]);
  });
});
