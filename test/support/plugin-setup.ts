import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  fieldEncryption,
  type FieldEncryptionConfig,
  LocalKeyProvider,
  type TableOptions,
} from "../../src";
import { FakeDynamoDB } from "./fake-dynamodb";

export const LOCAL_KEYS = { "local/app": randomBytes(32), "local/pii": randomBytes(32) };

export const USERS: TableOptions = {
  partitionKey: "pk",
  sortKey: "sk",
  fields: {
    ssn: {},
    "card.number": { context: { purpose: "payments" } },
    "addresses[].zip": { keyId: "local/pii" },
  },
};

/** A config on the Users table with local keys; `overrides` replace top-level options. */
export function usersConfig(
  overrides: Partial<FieldEncryptionConfig> = {},
  users: Partial<TableOptions> = {},
): FieldEncryptionConfig {
  return {
    keyId: "local/app",
    keyProvider: new LocalKeyProvider({ keys: LOCAL_KEYS }),
    tables: { Users: { ...USERS, ...users } },
    ...overrides,
  };
}

/** A fake DynamoDB with Users (pk, sk), Orders (pk) and Plain (pk, no encrypted fields), and a low-level and a Document client with the plugin. */
export function setup(
  config: FieldEncryptionConfig = usersConfig(),
  clientOptions?: Parameters<FakeDynamoDB["client"]>[0],
): {
  fake: FakeDynamoDB;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const fake = new FakeDynamoDB({ Users: ["pk", "sk"], Orders: ["pk"], Plain: ["pk"] });
  const client = fake.client(clientOptions);
  client.middlewareStack.use(fieldEncryption(config));
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { fake, client, doc };
}

export const SAMPLE = {
  pk: "user#1",
  sk: "profile",
  name: "Ada",
  ssn: "123-45-6789",
  card: { number: "4111111111111111", expiry: "12/30" },
  addresses: [{ zip: "94107", city: "SF" }, { zip: "10001" }],
};

/** Every plaintext secret in SAMPLE, to check nothing leaks onto the wire or into messages. */
export const SAMPLE_SECRETS = ["123-45-6789", "4111111111111111", "94107", "10001"];
