import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { BatchWriteCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { fieldEncryption, type FieldEncryptionConfig, LocalKeyProvider } from "../../src";
import { KmsTestServer } from "../../src/testing";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { stubClient } from "./stub-client";

const TABLE = "Tenants";
const TENANT = "^tenant#([^#]+)#";
const encoder = new TextEncoder();
const pk = (t: number) => `tenant#t${t}#records`;

function tenantTable(keys: Record<string, string>): FieldEncryptionConfig["tables"] {
  return {
    [TABLE]: {
      partitionKey: "pk",
      sortKey: "sk",
      keyId: { attribute: "pk", pattern: TENANT, keys },
      context: { tenant: { attribute: "pk", pattern: TENANT } },
      fields: { ssn: {}, "card.number": {} },
    },
  };
}

function item(t: number, i: number) {
  return {
    pk: pk(t),
    sk: `item#${i}`,
    ssn: "123-45-6789",
    card: { number: "4111111111111111", expiry: "12/30" },
  };
}

/** An in-memory table behind the stub handler: puts and batch writes stored, a Query answered with its partition. */
function memoryTable() {
  const partitions = new Map<string, unknown[]>();
  const reply = (operation: string, body: string): Uint8Array => {
    const request = JSON.parse(body) as Record<string, unknown>;
    if (operation === "PutItem") {
      const stored = request.Item as { pk: { S: string } };
      (partitions.get(stored.pk.S) ?? partitions.set(stored.pk.S, []).get(stored.pk.S)!).push(
        stored,
      );
    } else if (operation === "BatchWriteItem") {
      for (const r of (
        request.RequestItems as Record<string, { PutRequest: { Item: { pk: { S: string } } } }[]>
      )[TABLE]!) {
        const stored = r.PutRequest.Item;
        (partitions.get(stored.pk.S) ?? partitions.set(stored.pk.S, []).get(stored.pk.S)!).push(
          stored,
        );
      }
    } else if (operation === "Query") {
      const key = (request.ExpressionAttributeValues as Record<string, { S: string }>)[":p"]!.S;
      const items = partitions.get(key) ?? [];
      return encoder.encode(JSON.stringify({ Items: items, Count: items.length }));
    }
    return encoder.encode("{}");
  };
  return { partitions, reply };
}

/** The stub client with the plugin as configured here (stubClient's own plugin helper brings its own keys). */
function pluginClient(
  reply: (operation: string, body: string) => Uint8Array,
  config: FieldEncryptionConfig,
) {
  const doc = stubClient(reply);
  doc.middlewareStack.use(fieldEncryption(config));
  return doc;
}

const query = (t: number) =>
  new QueryCommand({
    TableName: TABLE,
    KeyConditionExpression: "pk = :p",
    ExpressionAttributeValues: { ":p": pk(t) },
  });

/**
 * KMS calls for 1,000 tenants × 10 items written and read back in one
 * process, each tenant with its own key on the KMS test server: writes in
 * batches of 25 items that mix tenants, reads as one Query per tenant in a
 * fresh client. Target: 1 GenerateDataKey per tenant, 1 Decrypt per tenant
 * and data key.
 */
async function kmsCalls(quick: boolean): Promise<Record<string, unknown>> {
  const tenants = quick ? 100 : 1000;
  const kms = await KmsTestServer.start();
  try {
    const keys: Record<string, string> = {};
    for (let t = 0; t < tenants; t++) keys[`t${t}`] = kms.createKey().arn;
    const table = memoryTable();
    const config = () => ({
      kmsClient: kms.client(),
      cache: { maxEntries: tenants * 2 },
      tables: tenantTable(keys),
    });
    const writer = pluginClient(table.reply, config());
    const all = Array.from({ length: tenants * 10 }, (_, n) =>
      item(n % tenants, Math.floor(n / tenants)),
    );
    kms.resetCalls();
    let start = performance.now();
    for (let i = 0; i < all.length; i += 25)
      await writer.send(
        new BatchWriteCommand({
          RequestItems: { [TABLE]: all.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    const writeSeconds = (performance.now() - start) / 1000;
    const generateDataKey = kms.calls("GenerateDataKey");
    const reader = pluginClient(table.reply, config());
    kms.resetCalls();
    start = performance.now();
    let read = 0;
    for (let t = 0; t < tenants; t++) read += (await reader.send(query(t))).Items!.length;
    const readSeconds = (performance.now() - start) / 1000;
    const decrypt = kms.calls("Decrypt");
    return {
      tenants,
      items: all.length,
      read,
      write: { GenerateDataKey: generateDataKey, seconds: writeSeconds },
      read_: { Decrypt: decrypt, seconds: readSeconds },
      targets: [
        {
          description: `tenants: ${generateDataKey} GenerateDataKey for ${tenants} tenants × 10 items (target 1 per tenant)`,
          met: generateDataKey === tenants,
        },
        {
          description: `tenants: ${decrypt} Decrypt reading them back (target 1 per tenant and data key)`,
          met: decrypt === tenants,
        },
      ],
    };
  } finally {
    await kms.stop();
  }
}

/**
 * The per-tenant config against a single-tenant one, warm cache, side by
 * side: a Put and a 10-item Query page, rotating over 1,000 tenants (local
 * keys, so only the plugin's own work is measured).
 */
async function overhead(options: HarnessOptions, quick: boolean): Promise<Comparison[]> {
  const tenants = 1000;
  const localKeys: Record<string, Uint8Array> = {};
  const keys: Record<string, string> = {};
  for (let t = 0; t < tenants; t++) {
    localKeys[`local/t${t}`] = randomBytes(32);
    keys[`t${t}`] = `local/t${t}`;
  }
  const provider = new LocalKeyProvider({ keys: localKeys });
  const cache = { maxEntries: tenants * 4 };
  const single: FieldEncryptionConfig = {
    keyProvider: provider,
    cache,
    keyId: "local/t0",
    context: { tenant: "t0" },
    tables: {
      [TABLE]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, "card.number": {} } },
    },
  };
  const multi: FieldEncryptionConfig = { keyProvider: provider, cache, tables: tenantTable(keys) };
  const singleTable = memoryTable();
  const multiTable = memoryTable();
  const singleClient = pluginClient(singleTable.reply, single);
  const multiClient = pluginClient(multiTable.reply, multi);
  // Fill each table with 10 items per tenant and warm both caches (write and read).
  for (let t = 0; t < tenants; t++)
    for (let i = 0; i < 10; i++) {
      await singleClient.send(new PutCommand({ TableName: TABLE, Item: item(t, i) }));
      await multiClient.send(new PutCommand({ TableName: TABLE, Item: item(t, i) }));
    }
  for (let t = 0; t < tenants; t++) {
    await singleClient.send(query(t));
    await multiClient.send(query(t));
  }
  // Puts go to a sink table so the Query pages stay 10 items.
  const sink = (operation: string, body: string) =>
    operation === "Query" ? multiTable.reply(operation, body) : encoder.encode("{}");
  const singleSink = (operation: string, body: string) =>
    operation === "Query" ? singleTable.reply(operation, body) : encoder.encode("{}");
  const singlePut = pluginClient(singleSink, single);
  const multiPut = pluginClient(sink, multi);
  for (let t = 0; t < tenants; t++) {
    await singlePut.send(new PutCommand({ TableName: TABLE, Item: item(t, 0) }));
    await multiPut.send(new PutCommand({ TableName: TABLE, Item: item(t, 0) }));
  }
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const put = await compare(
    "tenants",
    "Put, 2 encrypted fields, rotating over 1,000 tenants, warm cache",
    {
      "single-tenant config": () =>
        singlePut.send(new PutCommand({ TableName: TABLE, Item: item(a++ % tenants, 0) })),
      "per-tenant key and context": () =>
        multiPut.send(new PutCommand({ TableName: TABLE, Item: item(b++ % tenants, 0) })),
    },
    "single-tenant config",
    options,
  );
  const page = await compare(
    "tenants",
    "Query page of 10 items, 2 encrypted fields, rotating over 1,000 tenants, warm cache",
    {
      "single-tenant config": () => singleClient.send(query(c++ % tenants)),
      "per-tenant key and context": () => multiClient.send(query(d++ % tenants)),
    },
    "single-tenant config",
    { ...options, time: options.time * (quick ? 1 : 2) },
  );
  return [put, page].map((cmp) => {
    const ratio = cmp.ratio["per-tenant key and context"]!;
    return withTarget(
      cmp,
      `per-tenant ≤ 1.05× single-tenant (got ${ratio.toFixed(3)}×)`,
      ratio <= 1.05,
    );
  });
}

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/**
 * Heap held by the data-key cache and the per-tenant derived fields with
 * 10,000 tenants: one Put per tenant (one data key each), measured after a
 * full garbage collection against the heap before.
 */
async function cacheMemory(quick: boolean): Promise<Record<string, unknown>> {
  const tenants = quick ? 2000 : 10_000;
  const localKeys: Record<string, Uint8Array> = {};
  const keys: Record<string, string> = {};
  for (let t = 0; t < tenants; t++) {
    localKeys[`local/t${t}`] = randomBytes(32);
    keys[`t${t}`] = `local/t${t}`;
  }
  const stub = pluginClient(() => encoder.encode("{}"), {
    keyProvider: new LocalKeyProvider({ keys: localKeys }),
    cache: { maxEntries: tenants },
    tables: tenantTable(keys),
  });
  await stub.send(new PutCommand({ TableName: TABLE, Item: item(0, 0) }));
  collectGarbage();
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  for (let t = 1; t < tenants; t++)
    await stub.send(new PutCommand({ TableName: TABLE, Item: item(t, 0) }));
  collectGarbage();
  const after = used();
  const perTenant = (after - before) / (tenants - 1);
  return {
    tenants,
    heapAndExternalBytes: after - before,
    bytesPerTenant: Math.round(perTenant),
    note: "one encrypt data key per tenant in the cache, plus its derived field (key, context, cache keys)",
  };
}

/** The multi-tenant section: KMS calls per tenant, overhead against a single-tenant config, cache memory. */
export async function multiTenant(
  options: HarnessOptions,
  quick: boolean,
): Promise<Record<string, unknown>> {
  // Memory first, before the other parts leave anything on the heap.
  const memory = await cacheMemory(quick);
  const calls = await kmsCalls(quick);
  const comparisons = await overhead(options, quick);
  return {
    kmsCalls: calls,
    overhead: comparisons,
    cacheMemory: memory,
    targets: [
      ...(calls.targets as { description: string; met: boolean }[]),
      ...comparisons.map((c) => ({
        description: `${c.name}: ${c.target!.description}`,
        met: c.target!.met,
      })),
    ],
  };
}
