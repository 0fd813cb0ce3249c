import { ItemCipher } from "../../../src/engine/item-cipher";
import { resolveConfig } from "../../../src/config/resolve-config";
import { aadParts, associatedDataFrom } from "../../../src/format/binding";
import { itemKey } from "../../../src/format/binding";
import { usersConfig } from "../../support/plugin-setup";

/**
 * The engine computes the field-dependent part of the associated data once per
 * field; the format version is its first byte, so the cached part must be
 * kept per version (only one version parses today, so this is checked on the
 * engine directly).
 */
describe("associated-data parts cached per field", () => {
  it("are kept per format version: a second version does not reuse the first one's bytes", () => {
    const config = resolveConfig(usersConfig());
    const cipher = new ItemCipher(config);
    const table = config.tables.get("Users")!;
    const field = table.fields.find((f) => f.path === "ssn")!;
    const key = itemKey(table, { pk: { S: "a" }, sk: { S: "b" } }, undefined, { table: "Users" });
    const aadFor = (version: number): Buffer =>
      (cipher as unknown as { aadFor(p: object, v: number): Buffer }).aadFor(
        { table, field, key, slot: undefined },
        version,
      );
    const first = aadFor(0xdf);
    const second = aadFor(0x02);
    expect(first[0]).toBe(0xdf);
    expect(second[0]).toBe(0x02);
    expect(second).toEqual(associatedDataFrom(aadParts(0x02, "Users", "ssn", field.context), key));
    expect(aadFor(0xdf)).toEqual(first);
  });
});
