import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { bareDecryptor } from "./bare-decrypt";
import { baseline, benchConfig, benchItem, stubClient } from "./stub-client";

const encoder = new TextEncoder();
const NAMES = { zero: "BenchPlain", one: "BenchOne", three: "BenchThree", two: "BenchTwo" };
/** Encrypted values per item in each table of {@link benchConfig}. */
const FIELD_COUNTS: Record<string, number> = {
  [NAMES.zero]: 0,
  [NAMES.one]: 1,
  [NAMES.three]: 3,
  [NAMES.two]: 2,
};
/** The task that shows the floor: the client without the plugin, then bare AES-GCM of the page's values. */
const FLOOR = "without plugin + bare AES-GCM of its values";

/** Encrypts items through the plugin against a stub, and returns their stored (wire) form. */
async function storedForm(table: string, items: Record<string, unknown>[]): Promise<unknown[]> {
  const captured: unknown[] = [];
  const capture = stubClient((_, body) => {
    captured.push((JSON.parse(body) as { Item: unknown }).Item);
    return encoder.encode("{}");
  }, benchConfig(NAMES));
  for (const Item of items) await capture.send(new PutCommand({ TableName: table, Item }));
  return captured;
}

/** Plugin overhead on a stub handler: the same client with and without the plugin, per operation and field count. */
export async function pluginStub(options: HarnessOptions, quick: boolean): Promise<Comparison[]> {
  const results: Comparison[] = [];
  const config = benchConfig(NAMES);
  const pageSize = quick ? 200 : 1000;
  for (const [label, table] of [
    ["no configured fields", NAMES.zero],
    ["1 encrypted field", NAMES.one],
    ["3 encrypted fields, one nested", NAMES.three],
    ["2 encrypted fields, one nested", NAMES.two],
  ] as const) {
    const [one] = table === NAMES.zero ? [benchItem(0)] : await storedForm(table, [benchItem(0)]);
    const getBody = encoder.encode(JSON.stringify({ Item: one }));
    const page =
      table === NAMES.zero
        ? Array.from({ length: pageSize }, (_, i) => benchItem(i))
        : await storedForm(
            table,
            Array.from({ length: pageSize }, (_, i) => benchItem(i)),
          );
    const queryBody = encoder.encode(
      JSON.stringify({
        Items:
          table === NAMES.zero ? page.map((i) => marshalPlain(i as Record<string, unknown>)) : page,
        Count: page.length,
        ScannedCount: page.length,
      }),
    );
    const getItemBody =
      table === NAMES.zero
        ? encoder.encode(JSON.stringify({ Item: marshalPlain(one as Record<string, unknown>) }))
        : getBody;
    const reply = (operation: string) =>
      operation === "GetItem"
        ? getItemBody
        : operation === "Query"
          ? queryBody
          : encoder.encode("{}");
    const plain = stubClient(reply);
    const plugin = stubClient(reply, config);
    const before = baseline && stubClient(reply, config, baseline);
    const item = benchItem(1);
    const key = { pk: "customer#1", sk: "item#000000" };
    const ops = {
      Put: (c: typeof plain) => c.send(new PutCommand({ TableName: table, Item: item })),
      Get: (c: typeof plain) => c.send(new GetCommand({ TableName: table, Key: key })),
      [`Query of ${pageSize} items`]: (c: typeof plain) =>
        c.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "pk = :p",
            ExpressionAttributeValues: { ":p": "customer#1" },
          }),
        ),
    };
    // What per-value decryption alone adds to the page: bare AES-GCM of as many values.
    const bare = bareDecryptor(pageSize * (FIELD_COUNTS[table] ?? 0));
    for (const [op, run] of Object.entries(ops)) {
      const floor: Record<string, () => Promise<void>> =
        op.startsWith("Query") && table !== NAMES.zero
          ? {
              [FLOOR]: async () => {
                await run(plain);
                bare();
              },
            }
          : {};
      const c = await compare(
        "plugin on a stub handler",
        `${op}, ${label}`,
        {
          "without plugin": () => run(plain),
          "with plugin": () => run(plugin),
          ...floor,
          ...(before ? { "with plugin (baseline)": () => run(before) } : {}),
        },
        "without plugin",
        op.startsWith("Query") ? { ...options, time: options.time * 2 } : options,
      );
      const ratio = c.ratio["with plugin"]!;
      if (table === NAMES.zero)
        results.push(
          withTarget(c, `no configured fields: ≤ 1.02× (got ${ratio.toFixed(3)})`, ratio <= 1.02),
        );
      else if (table === NAMES.one && op === "Get")
        results.push(
          withTarget(
            c,
            `Get with 1 encrypted field: ≤ 1.2× (got ${ratio.toFixed(3)})`,
            ratio <= 1.2,
          ),
        );
      else if (table === NAMES.two && op.startsWith("Query"))
        results.push(
          withTarget(
            c,
            `Query page with 2 encrypted fields: ≤ 2.0× (got ${ratio.toFixed(3)}; bare AES-GCM alone ${c.ratio[FLOOR]!.toFixed(3)})`,
            ratio <= 2.0,
          ),
        );
      else results.push(c);
    }
  }
  return results;
}

/** DynamoDB JSON of a flat benchmark item, without the plugin. */
function marshalPlain(item: Record<string, unknown>): Record<string, unknown> {
  const av = (v: unknown): unknown =>
    typeof v === "string"
      ? { S: v }
      : { M: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, av(x)])) };
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, av(v)]));
}
