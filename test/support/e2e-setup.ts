import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { fieldEncryption, type FieldEncryptionConfig, type TableOptions } from "../../src";
import { KmsTestServer } from "../../src/testing";
import {
  createTable,
  deleteTable,
  dynamoEndpoint,
  plainDynamoClient,
  uniqueTableName,
} from "./dynamodb";

export interface PluginClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  destroy(): void;
}

/**
 * A low-level and a Document client on DynamoDB Local with the plugin, whose
 * KMS calls go to the KMS test server as `accessKeyId` (whose permissions the
 * server enforces).
 */
export function pluginClients(
  kms: KmsTestServer,
  config: Omit<FieldEncryptionConfig, "kmsClient">,
  accessKeyId = "app",
): PluginClients {
  const kmsClient = kms.client({ accessKeyId });
  const client = new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  client.middlewareStack.use(fieldEncryption({ ...config, kmsClient }));
  const doc = DynamoDBDocumentClient.from(client);
  return {
    client,
    doc,
    destroy() {
      client.destroy();
      kmsClient.destroy();
    },
  };
}

/** What {@link useEncryptedTable} gives a test file; filled in by its beforeAll. */
export interface EncryptedTableEnvironment {
  table: string;
  kms: KmsTestServer;
  plain: DynamoDBClient;
  app: PluginClients;
}

/**
 * One test file's setup: a KMS test server with `alias/app-data`, a new table
 * on DynamoDB Local (pk, sk) with these encrypted fields, a plain client and a
 * plugin client; all torn down after the file.
 */
export function useEncryptedTable(
  prefix: string,
  fields: TableOptions["fields"],
): EncryptedTableEnvironment {
  const env = { table: uniqueTableName(prefix) } as EncryptedTableEnvironment;
  beforeAll(async () => {
    env.kms = await KmsTestServer.start();
    env.kms.createKey({ alias: "alias/app-data" });
    env.plain = plainDynamoClient();
    await createTable(env.plain, env.table, { partitionKey: "pk", sortKey: "sk" });
    env.app = pluginClients(env.kms, {
      keyId: "alias/app-data",
      tables: { [env.table]: { partitionKey: "pk", sortKey: "sk", fields } },
    });
  });
  afterAll(async () => {
    env.app.destroy();
    await deleteTable(env.plain, env.table);
    env.plain.destroy();
    await env.kms.stop();
  });
  return env;
}

/** `pluginClients` that remembers what it opened, for one `destroyAll()` in afterAll. */
export function pluginClientPool(): { open: typeof pluginClients; destroyAll(): void } {
  const opened: PluginClients[] = [];
  return {
    open(...args) {
      const c = pluginClients(...args);
      opened.push(c);
      return c;
    },
    destroyAll() {
      for (const c of opened.splice(0)) c.destroy();
    },
  };
}
