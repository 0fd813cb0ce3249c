import { PerformanceObserver } from "node:perf_hooks";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type DynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable } from "../../test/support/dynamodb";

import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { bareDecryptor } from "./bare-decrypt";
import { baseline, benchConfig, benchItem, pluginFor } from "./stub-client";

/** The task that shows the floor: the plain client, then bare AES-GCM of the page's values. */
const FLOOR = "plain + bare AES-GCM of its values";

/** Garbage-collection time per page over 40 pages, from the runtime's own gc performance entries. */
async function gcPerPage(run: () => Promise<unknown>): Promise<number> {
  const pages = 40;
  for (let i = 0; i < 5; i++) await run();
  let total = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) total += entry.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  for (let i = 0; i < pages; i++) await run();
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  return total / pages;
}

/** The same operations on DynamoDB Local with the plain client and with the plugin (local keys, so KMS latency is not in it). */
export async function dynamoLocal(
  local: DynamoDBLocal,
  options: HarnessOptions,
  quick: boolean,
): Promise<Comparison[]> {
  const suffix = Date.now().toString(36);
  const names = {
    zero: `bench-plain-${suffix}`,
    one: `bench-one-${suffix}`,
    three: `bench-three-${suffix}`,
    two: `bench-two-${suffix}`,
  };
  const admin = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  for (const name of Object.values(names))
    await createTable(admin, name, { partitionKey: "pk", sortKey: "sk" });
  const make = (plugin: boolean, library?: NonNullable<typeof baseline>) => {
    const low = new DynamoDBClient({
      endpoint: local.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    if (plugin) low.middlewareStack.use(pluginFor(benchConfig(names), library));
    return DynamoDBDocumentClient.from(low);
  };
  const plain = make(false);
  const plugin = make(true);
  const before = baseline && make(true, baseline);
  const withBaseline = (
    run: (c: DynamoDBDocumentClient) => Promise<unknown>,
  ): Record<string, () => unknown> => (before ? { "plugin (baseline)": () => run(before) } : {});
  const results: Comparison[] = [];
  let n = 0;
  for (const [label, table] of [
    ["no configured fields", names.zero],
    ["1 encrypted field", names.one],
    ["3 encrypted fields", names.three],
  ] as const) {
    await plugin.send(new PutCommand({ TableName: table, Item: benchItem(0) }));
    const key = { pk: "customer#1", sk: "item#000000" };
    const put = await compare(
      "DynamoDB Local",
      `Put, ${label}`,
      {
        plain: () => plain.send(new PutCommand({ TableName: table, Item: benchItem(++n) })),
        plugin: () => plugin.send(new PutCommand({ TableName: table, Item: benchItem(++n) })),
      },
      "plain",
      options,
    );
    // The plain client reads what the plugin wrote (ciphertext) so both read the same bytes.
    const get = await compare(
      "DynamoDB Local",
      `Get, ${label}`,
      {
        plain: () => plain.send(new GetCommand({ TableName: table, Key: key })),
        plugin: () => plugin.send(new GetCommand({ TableName: table, Key: key })),
        ...withBaseline((c) => c.send(new GetCommand({ TableName: table, Key: key }))),
      },
      "plain",
      options,
    );
    if (table === names.three) {
      results.push(
        withTarget(
          put,
          `Put with 3 encrypted fields: ≤ 1.10× (got ${put.ratio.plugin!.toFixed(3)})`,
          put.ratio.plugin! <= 1.1,
        ),
      );
      results.push(
        withTarget(
          get,
          `Get with 3 encrypted fields: ≤ 1.10× (got ${get.ratio.plugin!.toFixed(3)})`,
          get.ratio.plugin! <= 1.1,
        ),
      );
    } else results.push(put, get);
  }

  // Query pages with 2 encrypted fields. DynamoDB stops a page at 1 MB, so 1.3 KB items give about 700 per
  // page: the label reports the count actually returned. Smaller items give a real 1,000-item page.
  for (const [label, partition, padding, count] of [
    ["1 MB page of 1.3 KB items", "customer#1", 1100, quick ? 200 : 1000],
    ["1,000-item page of 0.3 KB items", "customer#2", 0, quick ? 200 : 1000],
  ] as const) {
    for (let i = 0; i < count; i += 25) {
      const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) => ({
        ...benchItem(i + j, padding),
        pk: partition,
      }));
      await plugin.send(
        new BatchWriteCommand({
          RequestItems: { [names.two]: batch.map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
    const query = (c: DynamoDBDocumentClient) =>
      c.send(
        new QueryCommand({
          TableName: names.two,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": partition },
          Limit: count,
        }),
      );
    const returned = (await query(plugin)).Count ?? 0;
    // What per-value decryption alone adds: the plain client, then bare AES-GCM of as many values.
    const bare = bareDecryptor(returned * 2);
    const floor = async () => {
      await query(plain);
      bare();
    };
    const q = await compare(
      "DynamoDB Local",
      `Query, ${label}: ${returned} items, ${returned * 2} encrypted values`,
      {
        plain: () => query(plain),
        plugin: () => query(plugin),
        [FLOOR]: floor,
        ...withBaseline(query),
      },
      "plain",
      { ...options, time: options.time * 3 },
    );
    const gc = {
      plain: await gcPerPage(() => query(plain)),
      plugin: await gcPerPage(() => query(plugin)),
      [FLOOR]: await gcPerPage(floor),
    };
    const withGc = { ...q, gcMsPerPage: gc } as Comparison;
    results.push(
      padding > 0
        ? withTarget(
            withGc,
            `Query page with 2 encrypted fields: ≤ 1.3× (got ${q.ratio.plugin!.toFixed(3)}; bare AES-GCM alone ${q.ratio[FLOOR]!.toFixed(3)}); GC ${gc.plugin.toFixed(2)} ms per page against ${gc.plain.toFixed(2)} (≤ 2×; bare AES-GCM alone ${gc[FLOOR].toFixed(2)})`,
            q.ratio.plugin! <= 1.3 && gc.plugin <= 2 * Math.max(gc.plain, 0.01),
          )
        : withGc,
    );
  }

  let b = 0;
  const batch = (c: DynamoDBDocumentClient) => {
    const start = (b += 25);
    return c.send(
      new BatchWriteCommand({
        RequestItems: {
          [names.three]: Array.from({ length: 25 }, (_, j) => ({
            PutRequest: { Item: benchItem(100_000 + start + j) },
          })),
        },
      }),
    );
  };
  results.push(
    await compare(
      "DynamoDB Local",
      "BatchWriteItem of 25 items, 3 encrypted fields",
      { plain: () => batch(plain), plugin: () => batch(plugin) },
      "plain",
      options,
    ),
  );
  plain.destroy();
  plugin.destroy();
  admin.destroy();
  return results;
}
