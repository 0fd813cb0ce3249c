import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { HttpResponse } from "@smithy/protocol-http";
import { fieldEncryption, LocalKeyProvider, type FieldEncryptionConfig } from "../../src";

export const BENCH_KEYS = { bench: randomBytes(32) };

type Library = {
  fieldEncryption: typeof fieldEncryption;
  LocalKeyProvider: typeof LocalKeyProvider;
};

/**
 * The plugin as built at another commit, measured beside the current one in
 * the same run: `BENCH_BASELINE=<that build's dist/index.js> npm run bench`
 * (bench/README.md shows how to build one). Undefined when not set.
 */
export const baseline: Library | undefined = process.env.BENCH_BASELINE
  ? (createRequire(__filename)(process.env.BENCH_BASELINE) as Library)
  : undefined;

/** A plugin made by `library` (the current sources by default) for `config`, with that library's own local key provider. */
export function pluginFor(
  config: FieldEncryptionConfig,
  library: Library = { fieldEncryption, LocalKeyProvider },
) {
  return library.fieldEncryption({
    ...config,
    keyProvider: new library.LocalKeyProvider({ keys: BENCH_KEYS }),
  });
}

/** Tables used by the plugin benchmarks: none, one and three encrypted fields (one nested), and two for the Query page. */
export function benchConfig(names: {
  one: string;
  three: string;
  two: string;
}): FieldEncryptionConfig {
  return {
    keyId: "bench",
    keyProvider: new LocalKeyProvider({ keys: BENCH_KEYS }),
    tables: {
      [names.one]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {} } },
      [names.three]: {
        partitionKey: "pk",
        sortKey: "sk",
        fields: { ssn: {}, dob: {}, "card.number": {} },
      },
      [names.two]: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, "card.number": {} } },
    },
  };
}

/** An item with the attributes every benchmark table uses. */
export function benchItem(i: number, padding = 0): Record<string, unknown> {
  return {
    pk: "customer#1",
    sk: `item#${String(i).padStart(6, "0")}`,
    name: "Ada Lovelace",
    ssn: "123-45-6789",
    dob: "1815-12-10",
    card: { number: "4111111111111111", expiry: "12/30" },
    ...(padding > 0 ? { notes: "n".repeat(padding) } : {}),
  };
}

/**
 * A real DynamoDB client whose requestHandler answers from memory: the SDK's
 * whole middleware stack runs, no network. `reply` gives the response body.
 */
export function stubClient(
  reply: (operation: string, body: string) => Uint8Array,
  withPlugin?: FieldEncryptionConfig,
  library?: Library,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    maxAttempts: 1,
    requestHandler: {
      handle: (request: { headers: Record<string, string>; body: unknown }) => {
        const body =
          typeof request.body === "string"
            ? request.body
            : new TextDecoder().decode(request.body as Uint8Array);
        const operation = (request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
        return Promise.resolve({
          response: new HttpResponse({
            statusCode: 200,
            headers: { "content-type": "application/x-amz-json-1.0" },
            body: reply(operation, body),
          }),
        });
      },
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
    } as never,
  });
  if (withPlugin) client.middlewareStack.use(pluginFor(withPlugin, library));
  return DynamoDBDocumentClient.from(client);
}
