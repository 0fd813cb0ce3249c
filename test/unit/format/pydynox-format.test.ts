import { createSecretKey } from "node:crypto";
import { sealPydynox } from "../../../src/format/pydynox-format";
import { parseStoredValue } from "../../../src/format/stored-value";
import { describeCiphertext, LocalKeyProvider } from "../../../src";
import { pydynoxDecrypt, pydynoxEncrypt } from "../../support/pydynox-reference";

/** The known-answer vector of docs/format.md ("pydynox's format"). */
const VECTOR = {
  dataKey: Buffer.from([...Array(32).keys()]),
  wrapped: Buffer.from("pydynox-wrapped-key", "utf8"),
  nonce: Buffer.from([...Array(12).keys()].map((i) => 0xb0 + i)),
  text: "123-45-6789",
  stored:
    "ENC:AQATcHlkeW5veC13cmFwcGVkLWtlebCxsrO0tba3uLm6u6hnaYbY+JZpcMCuMsZMf3z/S4EzJVhXR3GixQ==",
};

describe("pydynox's format", () => {
  it("the reference writer and the library's writer give the known-answer vector", () => {
    expect(pydynoxEncrypt(VECTOR.dataKey, VECTOR.wrapped, VECTOR.text, VECTOR.nonce)).toBe(
      VECTOR.stored,
    );
    expect(
      sealPydynox(createSecretKey(VECTOR.dataKey), VECTOR.wrapped, VECTOR.text, VECTOR.nonce),
    ).toBe(VECTOR.stored);
    expect(pydynoxDecrypt(VECTOR.dataKey, VECTOR.stored)).toBe(VECTOR.text);
  });

  it("parses into its parts", () => {
    const stored = parseStoredValue(VECTOR.stored, { table: "T", field: "f" });
    expect(stored.format).toBe("pydynox");
    if (stored.format !== "pydynox") return;
    expect(stored.value.wrapped).toEqual(VECTOR.wrapped);
    expect(stored.value.iv).toEqual(VECTOR.nonce);
  });
});

describe("describeCiphertext", () => {
  it("tells the format, scheme, format version (as docs/format.md numbers it) and first byte, local key id and wrapped-key fingerprint", async () => {
    const provider = new LocalKeyProvider({ keys: { "local/2024": new Uint8Array(32).fill(1) } });
    const { plaintext, wrapped } = await provider.generateDataKey("local/2024", {});
    const native = (await import("../../../src/format/envelope")).seal(
      createSecretKey(plaintext),
      wrapped,
      Buffer.of(1, 65),
      Buffer.alloc(0),
    );
    const a = describeCiphertext(native);
    expect(a).toMatchObject({
      format: "native",
      scheme: "envelope",
      version: 1,
      versionByte: 0xdf,
      keyProvider: "local",
      keyId: "local/2024",
    });
    expect(a.wrappedKeyFingerprint).toMatch(/^[0-9a-f]{32}$/);
    const b = describeCiphertext(sealPydynox(createSecretKey(plaintext), wrapped, "x"));
    expect(b).toMatchObject({
      format: "pydynox",
      scheme: "envelope",
      version: 1,
      versionByte: 0x01,
      keyId: "local/2024",
      wrappedKeyFingerprint: a.wrappedKeyFingerprint,
    });
    expect(describeCiphertext(VECTOR.stored)).toMatchObject({
      format: "pydynox",
      keyProvider: "aws-kms",
      keyId: undefined,
    });
    const direct = `ENC:${Buffer.concat([Buffer.of(0xde), await provider.encrypt("local/2024", Buffer.of(1), {})]).toString("base64")}`;
    expect(describeCiphertext(direct)).toMatchObject({
      format: "kms",
      scheme: "kms",
      version: 1,
      versionByte: 0xde,
      keyId: "local/2024",
    });
  });

  it.each(["plain", "ENC:", "ENC:%%%", `ENC:${Buffer.of(7, 7, 7, 7).toString("base64")}`])(
    "refuses %j",
    (value) => {
      expect(() => describeCiphertext(value)).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^ciphertext\./) }),
      );
    },
  );
});
