import { createDecipheriv, createSecretKey } from "node:crypto";
import { associatedData, keyValueBytes } from "../../../src/format/binding";
import { ENVELOPE_VERSION, open, seal } from "../../../src/format/envelope";
import { isStoredCiphertext, parseStoredValue } from "../../../src/format/stored-value";

const parseEnvelope = (text: string, at: { table: string; field: string }) => {
  const stored = parseStoredValue(text, at);
  if (stored.format !== "native") throw new Error("not the native format");
  return stored.envelope;
};
import { decodeValue, encodeValue } from "../../../src/format/value-codec";

/** The known-answer vector of docs/format.md. */
export const VECTOR = {
  dataKey: Buffer.from([...Array(32).keys()]),
  wrapped: Buffer.from("wrapped-data-key-example", "utf8"),
  iv: Buffer.from([...Array(12).keys()].map((i) => 0xa0 + i)),
  table: "Users",
  field: "ssn",
  key: [
    { name: "pk", value: { S: "user#1" } },
    { name: "sk", value: { S: "profile" } },
  ],
  context: { purpose: "demo" },
  value: { S: "123-45-6789" },
  stored:
    "ENC:3xh3cmFwcGVkLWRhdGEta2V5LWV4YW1wbGWgoaKjpKWmp6ipqqvnKU4eaP83klRSv+pKvjHivtCPFT/L5QrSfjkX",
};

const where = { table: "Users", field: "ssn" };

function vectorAad(): Buffer {
  return associatedData(ENVELOPE_VERSION, {
    table: VECTOR.table,
    field: VECTOR.field,
    key: VECTOR.key.map((k) => ({ name: k.name, value: keyValueBytes(k.value)! })),
    context: VECTOR.context,
  });
}

/** The associated data built by hand from the layout in docs/format.md, not by the library. */
function independentAad(): Buffer {
  const lp = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, b.length >> 8, b.length & 0xff]), b]);
  const s = (t: string) => lp(Buffer.from(t, "utf8"));
  return Buffer.concat([
    Buffer.of(0xdf),
    s("Users"),
    s("ssn"),
    Buffer.of(2),
    s("pk"),
    lp(Buffer.from("Suser#1")),
    s("sk"),
    lp(Buffer.from("Sprofile")),
    s(JSON.stringify([["purpose", "demo"]])),
  ]);
}

describe("envelope format", () => {
  it("matches the known-answer vector of docs/format.md", () => {
    const stored = seal(
      createSecretKey(VECTOR.dataKey),
      VECTOR.wrapped,
      encodeValue(VECTOR.value, where),
      vectorAad(),
      VECTOR.iv,
    );
    expect(stored).toBe(VECTOR.stored);
    expect(vectorAad()).toEqual(independentAad());
  });

  it("the vector decrypts with node:crypto alone, following the documented layout", () => {
    const bytes = Buffer.from(VECTOR.stored.slice(4), "base64");
    expect(bytes[0]).toBe(0xdf);
    const length = bytes[1]!;
    expect(bytes.subarray(2, 2 + length)).toEqual(VECTOR.wrapped);
    const iv = bytes.subarray(2 + length, 14 + length);
    const decipher = createDecipheriv("aes-256-gcm", VECTOR.dataKey, iv);
    decipher.setAAD(independentAad());
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plaintext = Buffer.concat([
      decipher.update(bytes.subarray(14 + length, bytes.length - 16)),
      decipher.final(),
    ]);
    expect(plaintext).toEqual(Buffer.concat([Buffer.of(1), Buffer.from("123-45-6789")]));
  });

  it("round-trips through parse and open, and a changed associated data fails", () => {
    const key = createSecretKey(VECTOR.dataKey);
    const envelope = parseEnvelope(VECTOR.stored, where);
    expect(decodeValue(open(key, envelope, vectorAad(), where), where)).toEqual(VECTOR.value);
    const other = associatedData(ENVELOPE_VERSION, {
      table: "Users",
      field: "ssn",
      key: [{ name: "pk", value: keyValueBytes({ S: "user#2" })! }],
      context: {},
    });
    expect(() => open(key, envelope, other, where)).toThrow(
      expect.objectContaining({ code: "ciphertext.tampered" }),
    );
  });

  it("uses the 3-byte length form for wrapped keys of 255 bytes or more", () => {
    const wrapped = Buffer.alloc(300, 7);
    const stored = seal(createSecretKey(VECTOR.dataKey), wrapped, Buffer.of(5), vectorAad());
    const bytes = Buffer.from(stored.slice(4), "base64");
    expect([...bytes.subarray(0, 4)]).toEqual([0xdf, 0xff, 0x01, 0x2c]);
    expect(parseEnvelope(stored, where).wrapped).toEqual(wrapped);
    expect(isStoredCiphertext(stored)).toBe(true);
  });

  it("refuses the long length form for a wrapped key shorter than 255 bytes: each length has one encoding", () => {
    const wrapped = Buffer.alloc(184, 7);
    const stored = seal(createSecretKey(VECTOR.dataKey), wrapped, Buffer.of(5), vectorAad());
    const bytes = Buffer.from(stored.slice(4), "base64");
    expect(bytes[1]).toBe(184);
    const long = Buffer.concat([Buffer.of(0xdf, 0xff, 0x00, 184), bytes.subarray(2)]);
    expect(() => parseEnvelope(`ENC:${long.toString("base64")}`, where)).toThrow(
      expect.objectContaining({
        code: "ciphertext.malformed",
        message: expect.stringContaining("non-canonical wrapped-key length"),
      }),
    );
  });

  it("is the same size as pydynox's format for a string (the type tag replaces a length byte)", () => {
    const wrapped = Buffer.alloc(184); // a KMS CiphertextBlob for a 256-bit data key
    const ours = seal(
      createSecretKey(VECTOR.dataKey),
      wrapped,
      encodeValue({ S: "123-45-6789" }, where),
      vectorAad(),
    );
    const pydynoxBytes = 1 + 2 + 184 + 12 + 11 + 16;
    expect(Buffer.from(ours.slice(4), "base64").length).toBe(pydynoxBytes);
    expect(ours.length).toBe(4 + Math.ceil(pydynoxBytes / 3) * 4);
  });

  it.each([
    [{ S: "" }],
    [{ S: "ünïcödé 🙂" }],
    [{ N: "-0012.3400" }],
    [{ B: Buffer.from([0, 1, 255]).toString("base64") }],
    [{ BOOL: false }],
    [{ NULL: true }],
    [{ M: { a: { L: [{ N: "1" }, { NULL: true }] } } }],
    [{ SS: ["a", "b"] }],
    [{ NS: ["1", "2.50"] }],
    [{ BS: ["AAE="] }],
  ])("value codec round-trips %j exactly", (value) => {
    expect(decodeValue(encodeValue(value as never, where), where)).toEqual(value);
  });

  it("value codec rejects what is not DynamoDB JSON", () => {
    expect(() => encodeValue({ S: 1 } as never, where)).toThrow(
      expect.objectContaining({ code: "value.invalid" }),
    );
    expect(() => encodeValue({ S: "a", N: "1" }, where)).toThrow(
      expect.objectContaining({ code: "value.invalid" }),
    );
    expect(() => encodeValue({ X: "a" } as never, where)).toThrow(
      expect.objectContaining({ code: "value.invalid" }),
    );
  });
});
