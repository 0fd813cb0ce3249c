import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { attributeValuesFromWire } from "../items/attribute-values";
import type { ItemWrite } from "./item-rewrite";

/** How a conditional write ended, and the write capacity it consumed. */
export interface WriteOutcome {
  written: boolean;
  capacity: number;
}

/**
 * Sends one `UpdateItem` that `SET`s only the changed top-level attributes,
 * conditional on each of them still holding exactly the raw value that was
 * read (DynamoDB compares attribute values, maps and lists included). An
 * application write in between fails the condition: `written: false`, and
 * nothing changed. Attributes the application writes meanwhile are kept,
 * since nothing else is written. Runs on a client without the plugin: the
 * values are ciphertexts from the engine already.
 */
export async function conditionalWrite(
  client: DynamoDBClient,
  tableName: string,
  write: ItemWrite,
): Promise<WriteOutcome> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const conditions: string[] = [];
  let i = 0;
  for (const [name, value] of write.sets) {
    names[`#a${i}`] = name;
    values[`:n${i}`] = value;
    values[`:o${i}`] = write.expect.get(name)!;
    sets.push(`#a${i} = :n${i}`);
    conditions.push(`#a${i} = :o${i}`);
    i++;
  }
  try {
    const out = await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: attributeValuesFromWire(write.key),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: conditions.join(" AND "),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: attributeValuesFromWire(values as never),
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    return { written: true, capacity: out.ConsumedCapacity?.CapacityUnits ?? 0 };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { written: false, capacity: 0 };
    if ((error as { name?: unknown }).name === "ConditionalCheckFailedException")
      return { written: false, capacity: 0 };
    throw error;
  }
}
