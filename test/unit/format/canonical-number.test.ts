import fc from "fast-check";
import { canonicalNumber } from "../../../src/format/canonical-number";

describe("canonicalNumber", () => {
  it.each([
    ["1", "1E0"],
    ["1.50", "15E-1"],
    ["1.5", "15E-1"],
    ["0001.5000", "15E-1"],
    ["100", "1E2"],
    ["1e2", "1E2"],
    ["1E+2", "1E2"],
    ["0", "0"],
    ["-0", "0"],
    ["0.000", "0"],
    ["-12.30", "-123E-1"],
    [".5", "5E-1"],
    ["5.", "5E0"],
    ["+7", "7E0"],
  ])("%s -> %s", (text, canonical) => {
    expect(canonicalNumber(text)).toBe(canonical);
  });

  it.each(["", "abc", "1.2.3", "--1", "e5", "."])("rejects %j", (text) => {
    expect(canonicalNumber(text)).toBeUndefined();
  });

  it("gives equal numbers in any spelling the same canonical form", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.nat({ max: 10 }),
        fc.nat({ max: 5 }),
        (n, scale, zeros) => {
          const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, "0");
          const sign = n < 0n ? "-" : "";
          const decimal =
            scale === 0
              ? `${sign}${digits}`
              : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}${"0".repeat(zeros)}`;
          const exponent = `${sign}${digits}E-${scale}`;
          expect(canonicalNumber(decimal)).toBe(canonicalNumber(exponent));
        },
      ),
    );
  });
});
