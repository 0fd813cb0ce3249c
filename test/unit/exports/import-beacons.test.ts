import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { computeBeacons, encryptImportStream, type FieldEncryptionConfig } from "../../../src";
import { localBeaconConfig } from "../../support/beacon-setup";

async function importLines(
  lines: object[],
  config?: FieldEncryptionConfig,
): Promise<Record<string, { S?: string }>[]> {
  config ??= await localBeaconConfig();
  let out = "";
  await pipeline(
    Readable.from([Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(""))]),
    encryptImportStream(config, { table: "Users" }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    }),
  );
  return out
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { Item: Record<string, { S?: string }> }).Item);
}

describe("encryptImportStream and beacons", () => {
  it("writes each beacon from the item's own field, as encryptItem does, replacing a forged one", async () => {
    const config = await localBeaconConfig();
    const [item] = await importLines(
      [
        {
          Item: {
            pk: { S: "u#1" },
            sk: { S: "p" },
            email: { S: "Ada@Example.com" },
            email__beacon: { S: "ffff" },
          },
        },
      ],
      config,
    );
    const { beacons } = await computeBeacons(config, "Users", { email: { S: "Ada@Example.com" } });
    expect(item!.email!.S).toMatch(/^ENC:/);
    expect(item!.email__beacon).toEqual(beacons.email__beacon);
  });

  it("removes a beacon attribute the input holds for a field it lacks", async () => {
    const [item] = await importLines([
      { Item: { pk: { S: "u#2" }, sk: { S: "p" }, email__beacon: { S: "ffff" } } },
    ]);
    expect(item).toEqual({ pk: { S: "u#2" }, sk: { S: "p" } });
  });
});
