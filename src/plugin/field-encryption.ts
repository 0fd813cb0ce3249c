import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerOutput,
  MetadataBearer,
  MiddlewareStack,
  Pluggable,
  SerializeHandler,
  SerializeHandlerArguments,
  SerializeMiddleware,
} from "@smithy/types";
import type { FieldEncryptionConfig } from "../config/config-types";
import { resolveConfig } from "../config/resolve-config";
import { ItemCipher } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { applyResponse } from "../operations/response-plan";
import { type RequestPlan, planRequest } from "../operations/request-plan";
import { bodyBytes, containsAny, parseJsonBody, readResponseBody } from "./http-body";

/** Names of the plugin's middlewares: stable, so registering the plugin again replaces it. */
export const REQUEST_MIDDLEWARE_NAME = "fieldEncryptionRequestMiddleware";
export const RESPONSE_MIDDLEWARE_NAME = "fieldEncryptionResponseMiddleware";

const TARGET_PREFIX = "DynamoDB_20120810.";

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

function deleteHeader(headers: Record<string, string>, name: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
}

/**
 * Encrypts the configured fields of every item written and decrypts them in
 * every item read, for `DynamoDBClient` and `DynamoDBDocumentClient` alike.
 * The config is validated here, once; mistakes throw `config.invalid` with
 * their location.
 */
export function fieldEncryption(config: FieldEncryptionConfig): FieldEncryptionPlugin {
  const resolved = resolveConfig(config);
  const cipher = new ItemCipher(resolved);
  const plans = new WeakMap<HandlerExecutionContext, RequestPlan>();

  const requestMiddleware: SerializeMiddleware<object, MetadataBearer> =
    (next: SerializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: SerializeHandlerArguments<object>) => {
      plans.delete(context);
      const request = args.request as HttpMessageLike | undefined;
      const bytes = request ? bodyBytes(request.body) : undefined;
      // Requests that name no configured table pass through untouched, without being parsed.
      if (!request || !bytes || !containsAny(bytes, resolved.tableNameBytes)) return next(args);
      const target = header(request.headers, "x-amz-target") ?? "";
      const operation = target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : target;
      const body = parseJsonBody(bytes, "request.malformed");
      const plan = await planRequest(resolved, cipher, operation, body);
      if (plan) {
        request.body = new TextEncoder().encode(JSON.stringify(body));
        plans.set(context, plan);
      }
      return next(args);
    };

  const responseMiddleware: DeserializeMiddleware<object, MetadataBearer> =
    (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: DeserializeHandlerArguments<object>) => {
      const result = await next(args);
      const plan = plans.get(context);
      const response = result.response as HttpMessageLike | undefined;
      if (!plan || !response) return result;
      const bytes = await readResponseBody(response.body);
      response.body = bytes;
      if (bytes.length === 0) return result;
      const body = parseJsonBody(bytes, "response.malformed");
      const isError = (response.statusCode ?? 200) >= 300;
      if (await applyResponse(cipher, plan, body, isError)) {
        response.body = Buffer.from(JSON.stringify(body), "utf8");
        // The checksum covered the stored form; the body now holds the decrypted one.
        deleteHeader(response.headers, "x-amz-crc32");
        deleteHeader(response.headers, "content-length");
      }
      return result;
    };

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
      stack.add(responseMiddleware, {
        step: "deserialize",
        priority: "low",
        name: RESPONSE_MIDDLEWARE_NAME,
        override: true,
        tags: ["FIELD_ENCRYPTION"],
      });
    },
  });
}
