import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../scripts/dynamodb-local/start";
import { fieldEncryption, type FieldEncryptionConfig } from "../../src";
import type { KmsTestServer } from "../../src/testing";
import { dynamoEndpoint } from "./dynamodb";

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
