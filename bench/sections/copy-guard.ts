import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { FieldEncryptionConfig, FieldOptions } from "../../src";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { stubClient } from "./stub-client";

const TABLE = "Guarded";
const empty = new TextEncoder().encode("{}");

/** Users-like table whose encrypted fields have the copy guard on (default) or off. */
function config(fields: Record<string, FieldOptions>, guard: boolean): FieldEncryptionConfig {
  const off = Object.fromEntries(
    Object.entries(fields).map(([path, f]) => [
      path,
      guard ? f : { ...f, copyGuard: false as const },
    ]),
  );
  return {
    keyId: "bench",
    tables: { [TABLE]: { partitionKey: "pk", sortKey: "sk", fields: off } },
  };
}

/** 3 encrypted fields (one nested) and 10 other string attributes, none holding a copy. */
function item(i: number): Record<string, unknown> {
  return {
    pk: `customer#${i % 100}`,
    sk: `order#${String(i).padStart(8, "0")}`,
    ssn: "123-45-6789",
    dob: "1815-12-10",
    card: { number: "4111111111111111", expiry: "12/30" },
    name: "Ada Lovelace",
    city: "London",
    street: "12 St James's Square",
    status: "active",
    plan: "premium-yearly",
    gsi1pk: `$app#customer_${i % 100}`,
    gsi1sk: `$app#order_${String(i).padStart(8, "0")}`,
    note: "Prefers contact by post; no calls after 6pm",
    createdAt: "2026-12-08T01:00:00.000Z",
    updatedAt: "2026-12-08T01:00:00.000Z",
  };
}

/**
 * The copy guard's cost, side by side on a stub handler: a Put with 3
 * encrypted fields and 10 other string attributes with the guard on against
 * the same Put with every field's guard off (target: at most 1.03×); and a
 * Put of an encrypted list of 2,000 strings beside a plain list of 2,000
 * others (the many-needles path, which must stay linear).
 */
export async function copyGuard(options: HarnessOptions, quick: boolean): Promise<Comparison[]> {
  const fields = { ssn: {}, dob: {}, "card.number": {} };
  const on = stubClient(() => empty, config(fields, true));
  const off = stubClient(() => empty, config(fields, false));
  let a = 0;
  let b = 0;
  for (let i = 0; i < 200; i++) {
    await on.send(new PutCommand({ TableName: TABLE, Item: item(i) }));
    await off.send(new PutCommand({ TableName: TABLE, Item: item(i) }));
  }
  const put = await compare(
    "copy-guard",
    "Put, 3 encrypted fields and 10 other string attributes",
    {
      "guard off": () => off.send(new PutCommand({ TableName: TABLE, Item: item(a++) })),
      "guard on": () => on.send(new PutCommand({ TableName: TABLE, Item: item(b++) })),
    },
    "guard off",
    options,
  );
  const ratio = put.ratio["guard on"]!;
  const n = quick ? 500 : 2000;
  const lists = { ...fields, contacts: {} };
  const listOn = stubClient(() => empty, config(lists, true));
  const listOff = stubClient(() => empty, config(lists, false));
  const big = {
    ...item(0),
    contacts: Array.from({ length: n }, (_, i) => `c${String(i).padStart(7, "0")}`),
    tags: Array.from({ length: n }, (_, i) => `o${String(i).padStart(7, "0")}`),
  };
  const list = await compare(
    "copy-guard",
    `Put, an encrypted list of ${n} strings beside a plain list of ${n}`,
    {
      "guard off": () => listOff.send(new PutCommand({ TableName: TABLE, Item: big })),
      "guard on": () => listOn.send(new PutCommand({ TableName: TABLE, Item: big })),
    },
    "guard off",
    options,
  );
  return [
    withTarget(put, `guard on ≤ 1.03× guard off (got ${ratio.toFixed(3)}×)`, ratio <= 1.03),
    list,
  ];
}
