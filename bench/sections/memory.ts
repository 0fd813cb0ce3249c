import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { benchConfig, benchItem, stubClient } from "./stub-client";

const NAMES = { one: "MemOne", three: "MemThree", two: "MemTwo" };

/** Peak RSS while reading pages of 1,000 items through a stub handler, without and then with the plugin. */
export async function memory(quick: boolean): Promise<Record<string, unknown>> {
  const pages = quick ? 10 : 100;
  const captured: unknown[] = [];
  const capture = stubClient((_, body) => {
    captured.push((JSON.parse(body) as { Item: unknown }).Item);
    return new TextEncoder().encode("{}");
  }, benchConfig(NAMES));
  for (let i = 0; i < 1000; i++)
    await capture.send(new PutCommand({ TableName: NAMES.two, Item: benchItem(i, 1100) }));
  const body = new TextEncoder().encode(
    JSON.stringify({ Items: captured, Count: captured.length }),
  );
  const measure = async (plugin: boolean) => {
    const client = stubClient(() => body, plugin ? benchConfig(NAMES) : undefined);
    let peak = process.memoryUsage().rss;
    const start = performance.now();
    for (let i = 0; i < pages; i++) {
      await client.send(
        new QueryCommand({
          TableName: NAMES.two,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": "customer#1" },
        }),
      );
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    return {
      pages,
      items: pages * 1000,
      peakRssMiB: Math.round(peak / 2 ** 20),
      seconds: (performance.now() - start) / 1000,
      pageMiB: +(body.length / 2 ** 20).toFixed(2),
    };
  };
  return { withoutPlugin: await measure(false), withPlugin: await measure(true) };
}
