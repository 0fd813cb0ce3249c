import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type DynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable } from "../../test/support/dynamodb";
import { fieldEncryption, type FieldEncryptionConfig } from "../../src";
import { KmsTestServer } from "../../src/testing";

interface Run {
  variant: string;
  items: number;
  write: { kmsCalls: Record<string, number>; seconds: number };
  read: { kmsCalls: Record<string, number>; seconds: number };
}

/**
 * KMS economics with a realistic 5 ms per KMS call: N puts, then reading all
 * N back with a fresh client (an empty cache), for the default envelope
 * scheme, pydynox's approach (one data key per value: `cache: false`) and the
 * direct KMS scheme.
 */
export async function kmsEconomics(
  local: DynamoDBLocal,
  quick: boolean,
): Promise<Record<string, unknown>> {
  const items = quick ? 500 : 10_000;
  const kms = await KmsTestServer.start({ latencyMs: 5 });
  kms.createKey({ alias: "alias/bench" });
  const admin = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const variants: [string, Partial<FieldEncryptionConfig>, Record<string, unknown>][] = [
    ["envelope, cached (default)", {}, {}],
    ["pydynox's approach (cache: false)", { cache: false }, {}],
    ["direct KMS scheme", {}, { scheme: "kms" }],
  ];
  const runs: Run[] = [];
  for (const [variant, extra, field] of variants) {
    const table = `bench-kms-${Date.now().toString(36)}-${runs.length}`;
    await createTable(admin, table, { partitionKey: "pk", sortKey: "sk" });
    const client = () => {
      const low = new DynamoDBClient({
        endpoint: local.endpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      const kmsClient = kms.client();
      low.middlewareStack.use(
        fieldEncryption({
          keyId: "alias/bench",
          kmsClient,
          ...extra,
          tables: { [table]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: field } } },
        }),
      );
      return {
        doc: DynamoDBDocumentClient.from(low),
        destroy: () => (low.destroy(), kmsClient.destroy()),
      };
    };
    const writer = client();
    kms.resetCalls();
    let start = performance.now();
    const concurrency = 50;
    for (let i = 0; i < items; i += concurrency) {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, items - i) }, (_, j) =>
          writer.doc.send(
            new PutCommand({
              TableName: table,
              Item: { pk: "p", sk: String(i + j).padStart(6, "0"), ssn: `ssn-${i + j}` },
            }),
          ),
        ),
      );
    }
    const write = {
      kmsCalls: { GenerateDataKey: kms.calls("GenerateDataKey"), Encrypt: kms.calls("Encrypt") },
      seconds: (performance.now() - start) / 1000,
    };
    writer.destroy();
    const reader = client();
    kms.resetCalls();
    start = performance.now();
    let read = 0;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await reader.doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": "p" },
          ExclusiveStartKey: cursor,
        }),
      );
      read += page.Items!.length;
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    if (read !== items) throw new Error(`read ${read} of ${items}`);
    runs.push({
      variant,
      items,
      write,
      read: {
        kmsCalls: { Decrypt: kms.calls("Decrypt") },
        seconds: (performance.now() - start) / 1000,
      },
    });
    reader.destroy();
  }
  admin.destroy();
  await kms.stop();
  const [ours, pydynox] = runs;
  const targets = [
    {
      description: `${items} puts in one cache window make at most 1 GenerateDataKey (got ${ours!.write.kmsCalls.GenerateDataKey})`,
      met: ours!.write.kmsCalls.GenerateDataKey! <= 1,
    },
    {
      description: `reading them back makes at most 1 Decrypt per distinct data key (got ${ours!.read.kmsCalls.Decrypt} for 1 key)`,
      met: ours!.read.kmsCalls.Decrypt! <= 1,
    },
    {
      description: `the same in pydynox's style makes ${items} calls each way (got ${pydynox!.write.kmsCalls.GenerateDataKey} + ${pydynox!.read.kmsCalls.Decrypt}); wall time ×${(pydynox!.write.seconds / ours!.write.seconds).toFixed(1)} writing, ×${(pydynox!.read.seconds / ours!.read.seconds).toFixed(1)} reading`,
      met:
        pydynox!.write.kmsCalls.GenerateDataKey === items &&
        pydynox!.read.kmsCalls.Decrypt === items,
    },
  ];
  return { kmsLatencyMs: 5, runs, targets };
}
