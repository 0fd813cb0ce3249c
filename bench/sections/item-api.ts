import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  createItemEncryptor,
  decryptExportStream,
  encryptImportStream,
  type JsonItem,
} from "../../src";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { benchConfig, benchItem, stubClient } from "./stub-client";

const NAMES = { one: "ItemOne", three: "ItemThree", two: "ItemTwo" };
const encoder = new TextEncoder();

/**
 * The item API against the plugin: `decryptItems` on 1,000 stream images with
 * two encrypted fields, and the plugin's decrypt of a Query page of the same
 * items on a stub handler. Both decrypt the same stored values with a warm
 * data-key cache, measured side by side.
 */
export async function itemApi(options: HarnessOptions, quick: boolean): Promise<Comparison[]> {
  const count = 1000;
  const stored: JsonItem[] = [];
  const capture = stubClient((_, body) => {
    stored.push((JSON.parse(body) as { Item: JsonItem }).Item);
    return encoder.encode("{}");
  }, benchConfig(NAMES));
  for (let i = 0; i < count; i++)
    await capture.send(new PutCommand({ TableName: NAMES.two, Item: benchItem(i) }));
  const queryBody = encoder.encode(
    JSON.stringify({ Items: stored, Count: count, ScannedCount: count }),
  );
  const plugin = stubClient(() => queryBody, benchConfig(NAMES));
  const encryptor = createItemEncryptor(benchConfig(NAMES), { shape: "json" });
  const query = () =>
    plugin.send(
      new QueryCommand({
        TableName: NAMES.two,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": "customer#1" },
      }),
    );
  const images = () => encryptor.decryptItems(NAMES.two, stored);
  await query();
  await images();
  const c = await compare(
    "item API",
    `decrypt ${count} items with 2 encrypted fields`,
    { "plugin, Query page": query, "decryptItems, stream images": images },
    "plugin, Query page",
    { ...options, time: options.time * (quick ? 1 : 2) },
  );
  const ratio = c.ratio["decryptItems, stream images"]!;
  return [
    withTarget(
      c,
      `decryptItems per value ≤ the plugin's per value (got ${ratio.toFixed(3)}×)`,
      ratio <= 1,
    ),
  ];
}

/**
 * Peak RSS while a generated export of `lines` lines (gzip) streams through
 * `decryptExportStream`, against the RSS before: constant memory means the
 * peak does not grow with the file.
 */
export async function exportMemory(quick: boolean): Promise<Record<string, unknown>> {
  const config = benchConfig(NAMES);
  const dir = mkdtempSync(join(tmpdir(), "dfe-bench-"));
  const file = join(dir, "export.json.gz");
  const results: Record<string, unknown>[] = [];
  try {
    for (const lines of quick ? [20_000] : [20_000, 200_000]) {
      const plain = Readable.from(
        (function* () {
          for (let i = 0; i < lines; i++) {
            const item = benchItem(i) as { card: { number: string; expiry: string } } & Record<
              string,
              string
            >;
            yield `${JSON.stringify({
              Item: {
                pk: { S: item.pk },
                sk: { S: item.sk },
                name: { S: item.name },
                ssn: { S: item.ssn },
                card: { M: { number: { S: item.card.number }, expiry: { S: item.card.expiry } } },
              },
            })}\n`;
          }
        })(),
      );
      await pipeline(
        plain,
        encryptImportStream(config, { table: NAMES.two }),
        createGzip(),
        createWriteStream(file),
      );
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      let written = 0;
      const start = performance.now();
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          written += chunk.length;
          peak = Math.max(peak, process.memoryUsage().rss);
          cb();
        },
      });
      await pipeline(
        createReadStream(file),
        createGunzip(),
        decryptExportStream(config, { table: NAMES.two }),
        sink,
      );
      results.push({
        lines,
        outputMiB: +(written / 2 ** 20).toFixed(1),
        rssBeforeMiB: Math.round(before / 2 ** 20),
        peakRssMiB: Math.round(peak / 2 ** 20),
        growthMiB: Math.round((peak - before) / 2 ** 20),
        seconds: +((performance.now() - start) / 1000).toFixed(1),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { exportDecrypt: results };
}
