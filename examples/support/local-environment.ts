/**
 * The embedded servers the examples run against: Amazon's DynamoDB Local and
 * this package's KMS test server. In your application you would use real
 * DynamoDB and KMS clients instead; nothing else changes.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { KmsTestServer } from "dynamodb-field-encryption/testing";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable, type GlobalIndex } from "../../test/support/dynamodb";

export interface LocalEnvironment {
  /** Config for a DynamoDBClient that talks to DynamoDB Local. */
  dynamo: DynamoDBClientConfig;
  kms: KmsTestServer;
  /** A KMS client for the KMS test server, as `accessKeyId` (whose permissions the server enforces). */
  kmsClient(accessKeyId?: string): KMSClient;
  /** Creates a table with a string partition key (and sort key, and global secondary indexes). */
  createTable(
    name: string,
    key: { partitionKey: string; sortKey?: string; indexes?: GlobalIndex[] },
  ): Promise<void>;
  stop(): Promise<void>;
}

export async function localEnvironment(): Promise<LocalEnvironment> {
  const reuse = process.env.DYNAMODB_ENDPOINT;
  const local = reuse
    ? undefined
    : await startDynamoDBLocal({ log: (line) => console.error(line) });
  const endpoint = reuse ?? local!.endpoint;
  const kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/app-data" });
  kms.createKey({ alias: "alias/pii" });
  const dynamo: DynamoDBClientConfig = {
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  };
  const admin = new DynamoDBClient(dynamo);
  return {
    dynamo,
    kms,
    kmsClient: (accessKeyId = "app") => kms.client({ accessKeyId }),
    createTable: async (name, key) => {
      await createTable(admin, name, key);
    },
    async stop() {
      admin.destroy();
      await kms.stop();
      await local?.stop();
    },
  };
}

/** A table name that does not clash with an earlier run against the same DynamoDB Local. */
export function exampleTable(base: string): string {
  return `${base}-${Date.now().toString(36)}`;
}

export function run(main: (env: LocalEnvironment) => Promise<void>): void {
  void (async () => {
    const env = await localEnvironment();
    try {
      await main(env);
    } finally {
      await env.stop();
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
