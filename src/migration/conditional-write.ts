import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { attributeValuesFromWire } from "../items/attribute-values";
import { withLogRedaction } from "../plugin/log-redaction";
import type { ItemWrite } from "./item-rewrite";

/** How a conditional write ended, and the write capacity it consumed. */
export interface WriteOutcome {
  written: boolean;
  capacity: number;
}

/**
 * Sends one `UpdateItem` that `SET`s only the changed top-level attributes
 * and `REMOVE`s only the orphaned ones, conditional on every attribute in
 * `expect` still holding exactly the raw value that was read (DynamoDB
 * compares attribute values, maps and lists included), or still being absent.
 * An application write in between fails the condition: `written: false`, and
 * nothing changed. Attributes the application writes meanwhile are kept,
 * since nothing else is written. Runs on a client without the plugin: the
 * values are ciphertexts from the engine already, and beacons.
 */
export async function conditionalWrite(
  client: DynamoDBClient,
  tableName: string,
  write: ItemWrite,
  /** The plugin's log redaction: the condition holds the old raw value, which may be legacy plaintext. */
  redact: (value: unknown) => unknown,
): Promise<WriteOutcome> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  const conditions: string[] = [];
  const alias = new Map<string, string>();
  for (const name of write.expect.keys()) alias.set(name, `#a${alias.size}`);
  for (const name of [...write.sets.keys(), ...write.removes])
    // Precondition: every attribute written is conditional on what was read; an unconditional write could overwrite the application's.
    if (!alias.has(name))
      throw new Error(`migration write of "${name}" without a condition on its value read`);
  let i = 0;
  for (const [name, old] of write.expect) {
    const a = alias.get(name)!;
    names[a] = name;
    if (old === undefined) conditions.push(`attribute_not_exists(${a})`);
    else {
      values[`:o${i}`] = old;
      conditions.push(`${a} = :o${i}`);
    }
    const value = write.sets.get(name);
    if (value !== undefined) {
      values[`:n${i}`] = value;
      sets.push(`${a} = :n${i}`);
    }
    if (write.removes.has(name)) removes.push(a);
    i++;
  }
  // The item must still exist: an UpdateItem would otherwise create an item the application deleted meanwhile.
  const keyName = Object.keys(write.key)[0];
  if (keyName !== undefined) {
    names["#k"] = keyName;
    conditions.unshift("attribute_exists(#k)");
  }
  const update = [
    ...(sets.length > 0 ? [`SET ${sets.join(", ")}`] : []),
    ...(removes.length > 0 ? [`REMOVE ${removes.join(", ")}`] : []),
  ].join(" ");
  try {
    const out = await client.send(
      withLogRedaction(
        new UpdateItemCommand({
          TableName: tableName,
          Key: attributeValuesFromWire(write.key),
          UpdateExpression: update,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0
            ? { ExpressionAttributeValues: attributeValuesFromWire(values as never) }
            : {}),
          ReturnConsumedCapacity: "TOTAL",
        }),
        redact,
      ),
    );
    return { written: true, capacity: out.ConsumedCapacity?.CapacityUnits ?? 0 };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { written: false, capacity: 0 };
    if ((error as { name?: unknown }).name === "ConditionalCheckFailedException")
      return { written: false, capacity: 0 };
    throw error;
  }
}
