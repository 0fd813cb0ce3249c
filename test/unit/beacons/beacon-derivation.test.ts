import { beaconInput, beaconSubkey, beaconText } from "../../../src/beacons/beacon-derivation";
import { createHmac, createSecretKey } from "node:crypto";
import fc from "fast-check";
import type { ResolvedBeacon } from "../../../src/beacons/resolved-beacon";

/** Vectors computed independently with Python's hmac and hashlib (RFC 5869 HKDF written out). */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const USERS_EMAIL = "3e95e8c71e38df40b5ebbf219bc8e42fc295e607381827f840efc4c39488ff86";
const beacon = (normalize: ResolvedBeacon["normalize"] = []): ResolvedBeacon => ({
  length: 16,
  normalize,
  attribute: "email__beacon",
  index: undefined,
  composites: [],
});

describe("beacon derivation (known answers)", () => {
  it("derives the Users/email subkey with HKDF-SHA-256, empty salt, label and length-prefixed names", () => {
    expect(beaconSubkey(KEY, "Users", "email").toString("hex")).toBe(USERS_EMAIL);
  });

  it("derives an unrelated subkey for the same field of another table", () => {
    expect(beaconSubkey(KEY, "Orders", "email").toString("hex")).toBe(
      "57b88250b680a5dcca3c5146de1261dce8a23d0f0a84d314b55a06214cf65a80",
    );
  });

  it.each([
    [256, "b86f0d71414e2539f7362a5e2038c493efff49073ad3205281e91e4e0a314f90"],
    [16, "b86f"],
    [20, "b86f0"],
    [12, "b86"],
    [6, "2e"],
    [1, "1"],
  ])("keeps the first %i bits of HMAC-SHA-256 as hex", (length, expected) => {
    const input = beaconInput({ S: "ada@example.com" }, beacon());
    expect(beaconText(Buffer.from(USERS_EMAIL, "hex"), input, length)).toBe(expected);
  });

  it("hashes numbers by their canonical spelling, so 100 and 1.00E2 share a beacon", () => {
    const a = beaconInput({ N: "100" }, beacon());
    expect(a.toString("utf8")).toBe("N\u00001E2");
    expect(beaconInput({ N: "1.00E2" }, beacon())).toEqual(a);
    expect(beaconText(Buffer.from(USERS_EMAIL, "hex"), a, 8)).toBe("39");
  });

  it("trims, then lowercases, strings only when asked", () => {
    expect(beaconInput({ S: " Ada " }, beacon(["trim", "lowercase"])).toString()).toBe(
      "S\u0000ada",
    );
    expect(beaconInput({ S: " Ada " }, beacon()).toString()).toBe("S\u0000 Ada ");
  });

  it("tags the type, so the string 1 and the number 1 get different beacons", () => {
    expect(beaconInput({ S: "1E0" }, beacon())).not.toEqual(beaconInput({ N: "1" }, beacon()));
  });

  it("keeps exactly the first `length` bits for every length, whether the subkey is bytes or a key object", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 1, max: 256 }),
        (key, input, length) => {
          // The definition: the MAC as a 256-bit number, shifted right by 256 - length, in hex of ceil(length / 4) digits.
          const mac = createHmac("sha256", key).update(input).digest("hex");
          const expected = (BigInt(`0x${mac}`) >> BigInt(256 - length))
            .toString(16)
            .padStart(Math.ceil(length / 4), "0");
          expect(beaconText(key, input, length)).toBe(expected);
          expect(beaconText(createSecretKey(key), input, length)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
