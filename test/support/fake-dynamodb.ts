import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { type HttpRequest, HttpResponse } from "@smithy/protocol-http";

/** A request as it reached the wire, after every middleware. */
export interface WireRequest {
  operation: string;
  body: any;
  headers: Record<string, string>;
}

type Item = Record<string, any>;
type Reply = { status: number; body: unknown };

/**
 * A small in-memory DynamoDB behind a fake `requestHandler`, for the plugin
 * tier: real SDK clients and the real middleware stack run, and every
 * request body that reached the "wire" is recorded. It stores items exactly
 * as sent, so round trips go through the plugin's encryption and decryption.
 * Projections keep top-level attributes only; expressions other than
 * `attribute_not_exists` conditions are ignored.
 */
export class FakeDynamoDB {
  readonly requests: WireRequest[] = [];
  readonly tables = new Map<string, Map<string, Item>>();
  /** Replies instead of the store, when it returns one. */
  override: ((request: WireRequest) => Reply | undefined) | undefined;
  /** BatchWriteItem leaves this many put requests unprocessed (then resets to 0). */
  unprocessedPuts = 0;

  constructor(private readonly schema: Record<string, string[]>) {
    for (const name of Object.keys(schema)) this.tables.set(name, new Map());
  }

  /** The last recorded request (optionally of one operation). */
  last(operation?: string): WireRequest {
    const list = operation ? this.requests.filter((r) => r.operation === operation) : this.requests;
    const found = list[list.length - 1];
    if (!found) throw new Error(`no ${operation ?? ""} request was sent`);
    return found;
  }

  /** The stored item, exactly as it was sent on the wire. */
  stored(table: string, key: Item): Item | undefined {
    return this.tables.get(table)?.get(this.keyOf(table, key));
  }

  client(config: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
    return new DynamoDBClient({
      region: "us-east-1",
      credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
      maxAttempts: 1,
      requestHandler: {
        handle: (request: HttpRequest) => this.handle(request),
        updateHttpClientConfig: () => {},
        httpHandlerConfigs: () => ({}),
      } as never,
      ...config,
    });
  }

  private keyOf(table: string, item: Item): string {
    const names = this.schema[table.replace(/^arn:.*:table\//, "")];
    if (!names) throw new Error(`fake: unknown table ${table}`);
    return JSON.stringify(names.map((n) => item[n]));
  }

  private table(name: string): Map<string, Item> {
    const table = this.tables.get(name.replace(/^arn:.*:table\//, ""));
    if (!table) throw new Error(`fake: unknown table ${name}`);
    return table;
  }

  private project(item: Item | undefined, scope: Item): Item | undefined {
    if (!item) return item;
    let names: string[] | undefined;
    if (typeof scope.ProjectionExpression === "string") {
      names = scope.ProjectionExpression.split(",").map((p: string) => {
        const first = p.trim().split(/[.[]/)[0]!;
        return first.startsWith("#") ? scope.ExpressionAttributeNames[first] : first;
      });
    } else if (Array.isArray(scope.AttributesToGet)) names = scope.AttributesToGet;
    if (!names) return item;
    return Object.fromEntries(Object.entries(item).filter(([k]) => names.includes(k)));
  }

  private conditionFails(table: string, scope: Item): Item | undefined {
    if (
      typeof scope.ConditionExpression !== "string" ||
      !scope.ConditionExpression.startsWith("attribute_not_exists")
    )
      return undefined;
    return this.table(table).get(this.keyOf(table, scope.Item ?? scope.Key));
  }

  private handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const raw =
      typeof request.body === "string"
        ? request.body
        : new TextDecoder().decode(request.body as Uint8Array);
    const target = request.headers["x-amz-target"] ?? "";
    const wire: WireRequest = {
      operation: target.split(".")[1] ?? "",
      body: JSON.parse(raw),
      headers: { ...request.headers },
    };
    this.requests.push(wire);
    const reply = this.override?.(wire) ?? this.reply(wire);
    const response = new HttpResponse({
      statusCode: reply.status,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: new TextEncoder().encode(JSON.stringify(reply.body)),
    });
    return Promise.resolve({ response });
  }

  private reply({ operation, body }: WireRequest): Reply {
    const ok = (out: unknown): Reply => ({ status: 200, body: out });
    switch (operation) {
      case "PutItem": {
        const existing = this.conditionFails(body.TableName, body);
        if (existing) {
          return {
            status: 400,
            body: {
              __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
              message: "The conditional request failed",
              ...(body.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? { Item: existing } : {}),
            },
          };
        }
        const table = this.table(body.TableName);
        const key = this.keyOf(body.TableName, body.Item);
        const old = table.get(key);
        table.set(key, body.Item);
        return ok(body.ReturnValues === "ALL_OLD" && old ? { Attributes: old } : {});
      }
      case "GetItem": {
        const item = this.table(body.TableName).get(this.keyOf(body.TableName, body.Key));
        return ok(item ? { Item: this.project(item, body) } : {});
      }
      case "DeleteItem": {
        const table = this.table(body.TableName);
        const key = this.keyOf(body.TableName, body.Key);
        const old = table.get(key);
        table.delete(key);
        return ok(body.ReturnValues === "ALL_OLD" && old ? { Attributes: old } : {});
      }
      case "UpdateItem": {
        const item = this.table(body.TableName).get(this.keyOf(body.TableName, body.Key));
        return ok(body.ReturnValues === "ALL_NEW" && item ? { Attributes: item } : {});
      }
      case "Query":
      case "Scan": {
        const items = [...this.table(body.TableName).values()].map((i) => this.project(i, body));
        return ok({ Items: items, Count: items.length, ScannedCount: items.length });
      }
      case "BatchGetItem": {
        const Responses: Record<string, Item[]> = {};
        for (const [name, request] of Object.entries<Item>(body.RequestItems)) {
          Responses[name] = request.Keys.map((k: Item) =>
            this.project(this.table(name).get(this.keyOf(name, k)), request),
          ).filter(Boolean);
        }
        return ok({ Responses, UnprocessedKeys: {} });
      }
      case "BatchWriteItem": {
        const UnprocessedItems: Record<string, Item[]> = {};
        for (const [name, requests] of Object.entries<Item[]>(body.RequestItems)) {
          for (const r of requests) {
            if (r.PutRequest && this.unprocessedPuts > 0) {
              this.unprocessedPuts -= 1;
              (UnprocessedItems[name] ??= []).push(r);
            } else if (r.PutRequest)
              this.table(name).set(this.keyOf(name, r.PutRequest.Item), r.PutRequest.Item);
            else if (r.DeleteRequest)
              this.table(name).delete(this.keyOf(name, r.DeleteRequest.Key));
          }
        }
        return ok({ UnprocessedItems });
      }
      case "TransactWriteItems": {
        const reasons = body.TransactItems.map((t: Item) => {
          const op = t.Put ?? t.Delete ?? t.Update ?? t.ConditionCheck;
          const existing = this.conditionFails(op.TableName, op);
          return existing
            ? {
                Code: "ConditionalCheckFailed",
                Message: "The conditional request failed",
                ...(op.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? { Item: existing } : {}),
              }
            : { Code: "None" };
        });
        if (reasons.some((r: Item) => r.Code !== "None")) {
          return {
            status: 400,
            body: {
              __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
              Message: "Transaction cancelled",
              CancellationReasons: reasons,
            },
          };
        }
        for (const t of body.TransactItems) {
          if (t.Put)
            this.table(t.Put.TableName).set(this.keyOf(t.Put.TableName, t.Put.Item), t.Put.Item);
          if (t.Delete)
            this.table(t.Delete.TableName).delete(this.keyOf(t.Delete.TableName, t.Delete.Key));
        }
        return ok({});
      }
      case "TransactGetItems": {
        const Responses = body.TransactItems.map((t: Item) => {
          const item = this.table(t.Get.TableName).get(this.keyOf(t.Get.TableName, t.Get.Key));
          return item ? { Item: this.project(item, t.Get) } : {};
        });
        return ok({ Responses });
      }
      case "DescribeTable":
        return ok({ Table: { TableName: body.TableName } });
      default:
        return ok({});
    }
  }
}
