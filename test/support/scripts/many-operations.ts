/**
 * 100,000 operations through the plugin on a stub handler. Run with
 * --expose-gc. Never calls destroy(): the process must exit by itself, so no
 * timer or handle may keep it alive.
 *
 * It holds a WeakRef to the command input and output of every 10th
 * operation and to every data key the cache was given (the wrapped key object
 * a cache entry keeps), and after
 * the run and a full GC reports how many are still reachable. A leak of any
 * of them shows as a count, whatever the machine. The heap after a GC at two
 * checkpoints is reported too, for the figures in docs/reliability.md.
 */
import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { HttpResponse } from "@smithy/protocol-http";
import { fieldEncryption, type KeyProvider, LocalKeyProvider } from "../../../src";

const total = Number(process.argv[2] ?? 100_000);
const MAX_ENTRIES = 4;
let stored = Buffer.from("{}");
const client = new DynamoDBClient({
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
  requestHandler: {
    handle: (request: { headers: Record<string, string>; body: unknown }) => {
      const body =
        typeof request.body === "string"
          ? request.body
          : Buffer.from(request.body as Uint8Array).toString("utf8");
      if (request.headers["x-amz-target"]!.endsWith("PutItem"))
        stored = Buffer.from(JSON.stringify({ Item: JSON.parse(body).Item }));
      return Promise.resolve({
        response: new HttpResponse({
          statusCode: 200,
          headers: {},
          body: request.headers["x-amz-target"]!.endsWith("GetItem") ? stored : Buffer.from("{}"),
        }),
      });
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  } as never,
});

/** Every data key made or opened: a cache entry keeps this very `wrapped` object until it is evicted. */
const dataKeys: WeakRef<Uint8Array>[] = [];
const local = new LocalKeyProvider({ keys: { k: randomBytes(32) } });
const provider: KeyProvider = {
  id: local.id,
  async generateDataKey(keyId, context) {
    const key = await local.generateDataKey(keyId, context);
    dataKeys.push(new WeakRef(key.wrapped));
    return key;
  },
  decryptDataKey(wrapped, context, keyIds) {
    dataKeys.push(new WeakRef(wrapped));
    return local.decryptDataKey(wrapped, context, keyIds);
  },
};

// maxUses 100 makes a new data key every 100 writes and maxEntries 4 bounds the cache: keys are evicted all the time.
client.middlewareStack.use(
  fieldEncryption({
    keyId: "k",
    keyProvider: provider,
    cache: { maxEntries: MAX_ENTRIES, maxUses: 100 },
    tables: { Things: { partitionKey: "pk", fields: { ssn: {} } } },
  }),
);
const doc = DynamoDBDocumentClient.from(client);
const gc = (globalThis as { gc?: () => void }).gc!;

/** Every SAMPLE-th operation's command input and output (all of them would slow the run down). */
const SAMPLE = 10;
const messages: WeakRef<object>[] = [];

async function main(): Promise<void> {
  const heap: Record<number, number> = {};
  for (let i = 1; i <= total; i++) {
    const command =
      i % 2
        ? new PutCommand({ TableName: "Things", Item: { pk: `p${i % 1000}`, ssn: `ssn-${i}` } })
        : new GetCommand({ TableName: "Things", Key: { pk: `p${(i - 1) % 1000}` } });
    const output = await doc.send(command as PutCommand);
    if (i % SAMPLE === 0) messages.push(new WeakRef(command.input), new WeakRef(output));
    // A WeakRef keeps its target alive until the job that made it ends; the loop
    // never leaves its job otherwise, since the stub handler answers at once.
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    if (i === total / 10 || i === total) {
      gc();
      heap[i] = process.memoryUsage().heapUsed;
    }
  }
  // WeakRef targets stay alive until the job that made them ends: let it end, then collect.
  await new Promise((r) => setImmediate(r));
  gc();
  const alive = (refs: WeakRef<object>[]) => refs.filter((r) => r.deref() !== undefined).length;
  const report = {
    total,
    maxEntries: MAX_ENTRIES,
    dataKeys: dataKeys.length,
    dataKeysReachable: alive(dataKeys),
    messages: messages.length,
    messagesReachable: alive(messages),
    heap,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
void main();
