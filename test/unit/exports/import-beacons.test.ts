import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { computeBeacons, encryptImportStream, type FieldEncryptionConfig } from "../../../src";
import { localBeaconConfig } from "../../support/beacon-setup";

async function importLines(
  lines: object[],
  config?: FieldEncryptionConfig,
  onLineError?: (line: number, code: string | undefined) => void,
): Promise<Record<string, { S?: string }>[]> {
  config ??= await localBeaconConfig();
  let out = "";
  await pipeline(
    Readable.from([Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(""))]),
    encryptImportStream(config, {
      table: "Users",
      ...(onLineError && {
        maxFailedLines: lines.length,
        onLineError: (failure: { line: number; error: unknown }) =>
          onLineError(failure.line, (failure.error as { code?: string }).code),
      }),
    }),
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

  it("a batch with a refused line: the other items come out encrypted once, with their beacon and composite as if imported alone", async () => {
    const config = await localBeaconConfig();
    config.tables.Users!.fields.email = {
      beacon: {
        length: 16,
        normalize: "lowercase",
        composites: [{ attribute: "gsi1pk", pattern: "^\\$app#email_(.+)$" }],
      },
    };
    const failures: [number, string | undefined][] = [];
    const items = await importLines(
      [
        {
          Item: {
            pk: { S: "u#1" },
            sk: { S: "p" },
            email: { S: "Ada@Example.com" },
            gsi1pk: { S: "$app#email_ada@example.com" },
          },
        },
        // A copy of the SSN in another attribute: refused, which fails the batch pass.
        {
          Item: {
            pk: { S: "u#2" },
            sk: { S: "p" },
            ssn: { S: "123-45-6789" },
            note: { S: "ssn 123-45-6789" },
          },
        },
      ],
      config,
      (line, code) => failures.push([line, code]),
    );
    expect(failures).toEqual([[2, "plaintext.copied"]]);
    expect(items).toHaveLength(1);
    const { beacons } = await computeBeacons(config, "Users", { email: { S: "Ada@Example.com" } });
    expect(items[0]!.email__beacon).toEqual(beacons.email__beacon);
    expect(items[0]!.gsi1pk).toEqual({ S: `$app#email_${beacons.email__beacon!.S}` });
    expect(items[0]!.email!.S).toMatch(/^ENC:/);
  });
});
