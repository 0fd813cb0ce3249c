import {
  BatchWriteItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { createItemEncryptor, type FieldEncryptionConfig, type FieldOptions } from "../../src";
import type { KmsTestServer } from "../../src/testing";

/** The states the mixed table holds, in the order items cycle through them. */
export const MIXED_KINDS = [
  "plaintext",
  "retired",
  "pydynox",
  "direct",
  "current",
  "tampered",
] as const;
export type MixedKind = (typeof MIXED_KINDS)[number];

/** The two encrypted fields of the mixed table: a top-level one and a nested one. */
export const MIXED_FIELDS = ["ssn", "card.number"] as const;

export interface MixedKeys {
  current: string;
  retired: string;
}

/** Creates the current key (`alias/app-data`) and a retired key on the KMS test server. */
export function mixedKeys(kms: KmsTestServer): MixedKeys {
  kms.createKey({ alias: "alias/app-data" });
  return { current: "alias/app-data", retired: kms.createKey().arn };
}

/** The config the application uses once the migration starts: current key, the retired key and the old formats still read. */
export function targetConfig(
  table: string,
  keys: MixedKeys,
  kmsClient: KMSClient,
  extra: Partial<FieldOptions> = {},
): FieldEncryptionConfig {
  const field: FieldOptions = {
    decryptOnlyKeyIds: [keys.retired],
    acceptFormats: ["pydynox", "kms"],
    ...extra,
  };
  return {
    keyId: keys.current,
    kmsClient,
    tables: { [table]: { partitionKey: "pk", fields: { ssn: field, "card.number": field } } },
  };
}

/** Which state item `i` of the table holds: mostly plaintext and current, a few of every other state. */
export function kindOf(i: number, n: number): MixedKind {
  const tampered = Math.max(2, Math.floor(n / 1000));
  if (i < tampered) return "tampered";
  return MIXED_KINDS[i % 5]!;
}

const plainItem = (i: number): Record<string, AttributeValue> => ({
  pk: { S: `item#${String(i).padStart(6, "0")}` },
  ssn: { S: `ssn-${i}` },
  card: { M: { number: { S: `4111-${i}` }, brand: { S: "visa" } } },
  n: { N: String(i) },
});

/** The plaintext values of item `i`, as the application would read them. */
export const expectedPlain = (i: number) => ({
  ssn: `ssn-${i}`,
  card: { number: `4111-${i}`, brand: "visa" },
  n: i,
});

function tamper(text: string): string {
  const at = text.length - 10;
  return text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
}

/**
 * Fills `table` with `n` items in every state a migration meets: plaintext,
 * values under a retired key, pydynox's format, the direct KMS scheme,
 * current values, and a few tampered ones. Each is written by this library's
 * own engine with the settings of that state, through a plain client.
 */
export async function fillMixedTable(
  plain: DynamoDBClient,
  kmsClient: KMSClient,
  table: string,
  keys: MixedKeys,
  n: number,
): Promise<Record<MixedKind, number>> {
  const writer = (keyId: string, field: FieldOptions) =>
    createItemEncryptor({
      keyId,
      kmsClient,
      tables: { [table]: { partitionKey: "pk", fields: { ssn: field, "card.number": field } } },
    });
  const writers: Record<MixedKind, ReturnType<typeof writer> | undefined> = {
    plaintext: undefined,
    retired: writer(keys.retired, {}),
    pydynox: writer(keys.current, { format: "pydynox" }),
    direct: writer(keys.current, { scheme: "kms" }),
    current: writer(keys.current, {}),
    tampered: writer(keys.current, {}),
  };
  const counts = Object.fromEntries(MIXED_KINDS.map((k) => [k, 0])) as Record<MixedKind, number>;
  const byKind = new Map<MixedKind, Record<string, AttributeValue>[]>();
  for (let i = 0; i < n; i++) {
    const kind = kindOf(i, n);
    counts[kind]++;
    const list = byKind.get(kind) ?? [];
    list.push(plainItem(i));
    byKind.set(kind, list);
  }
  const stored: Record<string, AttributeValue>[] = [];
  for (const [kind, items] of byKind) {
    const w = writers[kind];
    const out: Record<string, AttributeValue>[] = [];
    // Chunks of 20 items: the direct scheme makes a KMS call per value, within maxKmsCallsPerRequest.
    for (let i = 0; i < items.length; i += 20) {
      const chunk = items.slice(i, i + 20);
      out.push(...(w ? await w.encryptItems(table, chunk) : chunk));
    }
    if (kind === "tampered") for (const item of out) item.ssn = { S: tamper(item.ssn!.S!) };
    stored.push(...out);
  }
  const batches: Record<string, AttributeValue>[][] = [];
  for (let i = 0; i < stored.length; i += 25) batches.push(stored.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        let request = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        while (request.length > 0) {
          const out = await plain.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: request } }),
          );
          request = (out.UnprocessedItems?.[table] ?? []) as typeof request;
        }
      }
    }),
  );
  return counts;
}
