/**
 * 100,000 operations through the plugin on a stub handler, reporting heap use
 * after a GC at checkpoints. Run with --expose-gc. Never calls destroy(): the
 * process must exit by itself, so no timer or handle may keep it alive.
 */
import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { HttpResponse } from "@smithy/protocol-http";
import { fieldEncryption, LocalKeyProvider } from "../../../src";

const total = Number(process.argv[2] ?? 100_000);
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
// maxUses 100 makes a new data key every 100 writes and maxEntries 4 bounds the cache: keys are evicted all the time, and memory must stay flat.
client.middlewareStack.use(
  fieldEncryption({
    keyId: "k",
    keyProvider: new LocalKeyProvider({ keys: { k: randomBytes(32) } }),
    cache: { maxEntries: 4, maxUses: 100 },
    tables: { Things: { partitionKey: "pk", fields: { ssn: {} } } },
  }),
);
const doc = DynamoDBDocumentClient.from(client);
const gc = (globalThis as { gc?: () => void }).gc!;

async function main(): Promise<void> {
  const heap: Record<number, number> = {};
  for (let i = 1; i <= total; i++) {
    if (i % 2)
      await doc.send(
        new PutCommand({ TableName: "Things", Item: { pk: `p${i % 1000}`, ssn: `ssn-${i}` } }),
      );
    else await doc.send(new GetCommand({ TableName: "Things", Key: { pk: `p${(i - 1) % 1000}` } }));
    if (i === total / 10 || i === total) {
      gc();
      heap[i] = process.memoryUsage().heapUsed;
    }
  }
  process.stdout.write(`${JSON.stringify({ total, heap })}\n`);
}
void main();
