import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerOutput,
  InitializeMiddleware,
  MetadataBearer,
  MiddlewareStack,
  Pluggable,
  SerializeHandler,
  SerializeHandlerArguments,
  SerializeMiddleware,
} from "@smithy/types";
import type { FieldEncryptionConfig } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";
import { type EngineCarrier, sharedEngine } from "../items/shared-engine";
import { applyResponse } from "../operations/response-plan";
import { type RequestPlan, planRequest } from "../operations/request-plan";
import { bodyBytes, parseJsonBody, tableMentionTest } from "./http-body";
import { configRedactor, REDACTED, setLogFilters } from "./log-redaction";

/** Names of the plugin's middlewares: stable, so registering the plugin again replaces it. */
export const REQUEST_MIDDLEWARE_NAME = "fieldEncryptionRequestMiddleware";
export const RESPONSE_MIDDLEWARE_NAME = "fieldEncryptionResponseMiddleware";
const LOG_FILTER_MIDDLEWARE_NAME = "fieldEncryptionLogFilterMiddleware";

const TARGET_PREFIX = "DynamoDB_20120810.";
/** lib-dynamodb's middleware that turns AttributeValues into plain values (relative to deserializerMiddleware since 3.300). */
const DOCUMENT_UNMARSHALL = "DocumentUnmarshall";

interface HttpMessageLike {
  headers: Record<string, string>;
  body?: unknown;
  statusCode?: number;
}

/**
 * The plugin. Register it with `client.middlewareStack.use(fieldEncryption(config))`.
 * It is also callable as a middleware only so that the common mistake
 * `middlewareStack.add(fieldEncryption(config))` fails every request loudly
 * (`config.registeredWithAdd`) instead of sending plaintext.
 */
export interface FieldEncryptionPlugin extends Pluggable<object, MetadataBearer> {
  (
    next: InitializeHandler<object, MetadataBearer>,
    context: HandlerExecutionContext,
  ): InitializeHandler<object, MetadataBearer>;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Encrypts the configured fields of every item written and decrypts them in
 * every item read, for `DynamoDBClient` and `DynamoDBDocumentClient` alike.
 * The config is validated here, once; mistakes throw `config.invalid` with
 * their location. Given an item encryptor (`createItemEncryptor`) instead of
 * a config, the plugin shares its engine and data-key cache.
 */
export function fieldEncryption(
  config: FieldEncryptionConfig | EngineCarrier,
): FieldEncryptionPlugin {
  const { resolved, cipher } = sharedEngine(config);
  const plans = new WeakMap<HandlerExecutionContext, RequestPlan>();
  const redact = configRedactor(resolved);
  const mentionsTable = tableMentionTest([...resolved.tables.keys()]);

  // The SDK's logger middleware prints inputs and outputs after the call, with the context's filters: redact encrypted fields there.
  const filtered = new WeakSet<HandlerExecutionContext>();
  // A request the plugin refuses may hold a copy of a secret where the filter does not look (any attribute): its input is not logged at all.
  const copied = new WeakSet<HandlerExecutionContext>();
  const redactAll = () => REDACTED;
  const setFilters = (context: HandlerExecutionContext): void => {
    filtered.add(context);
    setLogFilters(context, redact, copied.has(context) ? redactAll : redact);
  };

  /**
   * Sets the log filters again once the command is done, just inside the SDK's
   * logger: some lib-dynamodb versions replace them while unmarshalling the
   * output, which would log decrypted values.
   */
  const logFilterMiddleware: InitializeMiddleware<object, MetadataBearer> =
    (next, context) => (args) => {
      if (!context.logger) return next(args);
      return next(args).then(
        (result) => {
          if (filtered.has(context)) setFilters(context);
          return result;
        },
        (error: unknown) => {
          if (filtered.has(context)) setFilters(context);
          throw error;
        },
      );
    };

  const encryptRequest = async (
    next: SerializeHandler<object, MetadataBearer>,
    context: HandlerExecutionContext,
    args: SerializeHandlerArguments<object>,
    request: HttpMessageLike,
    bytes: Buffer,
  ) => {
    const target = header(request.headers, "x-amz-target") ?? "";
    const operation = target.startsWith(TARGET_PREFIX)
      ? target.slice(TARGET_PREFIX.length)
      : target;
    setFilters(context);
    const body = parseJsonBody(bytes, "request.malformed");
    let plan: RequestPlan | undefined;
    try {
      plan = await planRequest(resolved, cipher, operation, body);
    } catch (error) {
      // Whatever the refusal (the plan, KMS, the size, the copy guard): the guard may not have run yet.
      copied.add(context);
      setFilters(context);
      throw error;
    }
    if (plan) {
      request.body = JSON.stringify(body);
      plans.set(context, plan);
    }
    return next(args);
  };

  // Not async on the pass-through path: each async layer in the SDK's stack costs a few microseconds.
  const requestMiddleware: SerializeMiddleware<object, MetadataBearer> =
    (next: SerializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    (args: SerializeHandlerArguments<object>) => {
      plans.delete(context);
      const request = args.request as HttpMessageLike | undefined;
      const bytes = request ? bodyBytes(request.body) : undefined;
      // Precondition: the serialized body is readable; otherwise the plugin could not tell whether it holds a configured field.
      if (!request || !bytes) {
        return Promise.reject(
          new EncryptionError(
            "request.malformed",
            "The serialized DynamoDB request has no body the plugin can read, so it cannot be checked. Nothing was sent.",
          ),
        );
      }
      // Requests that name no configured table, in any letter case, pass through untouched, without being parsed.
      if (!mentionsTable(bytes)) return next(args);
      return encryptRequest(next, context, args, request, bytes);
    };

  const decryptOutput = async (
    next: DeserializeHandler<object, MetadataBearer>,
    args: DeserializeHandlerArguments<object>,
    plan: RequestPlan,
  ) => {
    let result;
    try {
      result = await next(args);
    } catch (error) {
      // Errors such as ConditionalCheckFailedException and TransactionCanceledException carry stored items.
      const name = (error as { name?: unknown } | null)?.name;
      if (typeof name === "string" && plan.spec.errors?.[name])
        await applyResponse(cipher, plan, error as Record<string, unknown>, name, "sdk");
      throw error;
    }
    const output = result.output as unknown;
    if (typeof output === "object" && output !== null)
      await applyResponse(cipher, plan, output as Record<string, unknown>, undefined, "sdk");
    return result;
  };

  // Between the SDK's deserializer and the Document client's unmarshalling: the output is parsed, and still AttributeValues.
  const responseMiddleware: DeserializeMiddleware<object, MetadataBearer> =
    (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    (args: DeserializeHandlerArguments<object>) => {
      // The request side, which ran first, left a plan when the request involved a configured table.
      const plan = plans.get(context);
      return plan ? decryptOutput(next, args, plan) : next(args);
    };

  /**
   * Stands in for lib-dynamodb's `DocumentUnmarshall` on low-level commands,
   * so that the plugin can be placed just inside it. Document commands add
   * the real one with the same name, relation and `override`, which replaces
   * this one.
   */
  const unmarshallStandIn: DeserializeMiddleware<object, MetadataBearer> = (next) => next;

  const misregistered =
    (_next: InitializeHandler<object, MetadataBearer>) =>
    (): Promise<InitializeHandlerOutput<MetadataBearer>> => {
      return Promise.reject(
        new EncryptionError(
          "config.registeredWithAdd",
          "fieldEncryption() was registered with middlewareStack.add(), where it cannot encrypt anything. " +
            "Register it with client.middlewareStack.use(fieldEncryption(config)). Nothing was sent.",
        ),
      );
    };

  return Object.assign(misregistered, {
    applyToStack(stack: MiddlewareStack<object, MetadataBearer>): void {
      stack.add(requestMiddleware, {
        step: "serialize",
        priority: "low",
        name: REQUEST_MIDDLEWARE_NAME,
        override: true,
        tags: ["FIELD_ENCRYPTION"],
      });
      stack.add(logFilterMiddleware, {
        step: "initialize",
        priority: "low",
        name: LOG_FILTER_MIDDLEWARE_NAME,
        override: true,
        tags: ["FIELD_ENCRYPTION"],
      });
      stack.addRelativeTo(unmarshallStandIn, {
        relation: "before",
        toMiddleware: "deserializerMiddleware",
        name: DOCUMENT_UNMARSHALL,
        override: true,
      });
      stack.addRelativeTo(responseMiddleware, {
        relation: "after",
        toMiddleware: DOCUMENT_UNMARSHALL,
        name: RESPONSE_MIDDLEWARE_NAME,
        override: true,
        tags: ["FIELD_ENCRYPTION"],
      });
    },
  });
}
