/**
 * One client for every tenant: each tenant's values are encrypted under its
 * own KMS key (bring your own key), with the tenant in the encryption
 * context, both chosen from the item's partition key. Each key's policy lets
 * the service use it only with its tenant's context; when a tenant revokes
 * that, its reads fail with kms.accessDenied and the other tenants keep working.
 * Run: npx tsx examples/multi-tenant.ts
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { EncryptionError, fieldEncryption } from "dynamodb-field-encryption";
import { exampleTable, run } from "./support/local-environment";

run(async (env) => {
  const TableName = exampleTable("Records");
  await env.createTable(TableName, { partitionKey: "pk", sortKey: "sk" });

  // Each customer brings its own key; its key policy allows the service only with its tenant in the context.
  const keys: Record<string, string> = {};
  for (const tenant of ["acme", "globex", "initech"]) {
    keys[tenant] = env.kms.createKey({ description: `${tenant}'s key` }).arn;
    env.kms.setKeyPolicy(keys[tenant], [
      {
        principals: ["saas-service"],
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        encryptionContext: { tenant },
      },
    ]);
  }

  const TENANT = "^tenant#([^#]+)#"; // pk = "tenant#acme#patient#42": the tenant is "acme"
  const kmsCalls = { generateDataKey: 0, decryptDataKey: 0 };
  // One client for all tenants; each new client starts with an empty data-key cache.
  const tenantClient = () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(env.dynamo));
    client.middlewareStack.use(
      fieldEncryption({
        kmsClient: env.kmsClient("saas-service"),
        onEvent: (e) => {
          if (e.type === "kms" && e.operation in kmsCalls)
            kmsCalls[e.operation as keyof typeof kmsCalls]++;
        },
        tables: {
          [TableName]: {
            partitionKey: "pk",
            sortKey: "sk",
            keyId: { attribute: "pk", pattern: TENANT, keys },
            context: { tenant: { attribute: "pk", pattern: TENANT } },
            fields: { diagnosis: {} },
          },
        },
      }),
    );
    return client;
  };
  const client = tenantClient();

  for (const tenant of Object.keys(keys))
    for (let i = 1; i <= 3; i++)
      await client.send(
        new PutCommand({
          TableName,
          Item: { pk: `tenant#${tenant}#patients`, sk: `p${i}`, diagnosis: `${tenant}-J45.${i}` },
        }),
      );
  const { Items } = await client.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "tenant#globex#patients" },
    }),
  );
  console.log("globex's patients:", Items?.map((i) => String(i.diagnosis)).join(", "));
  console.log(
    `KMS calls: ${kmsCalls.generateDataKey} GenerateDataKey for 9 items of 3 tenants, ${kmsCalls.decryptDataKey} Decrypt for globex's query`,
  );

  env.kms.setKeyPolicy(keys.initech!, []); // initech revokes the service's access to its key
  const fresh = tenantClient();
  try {
    await fresh.send(
      new GetCommand({ TableName, Key: { pk: "tenant#initech#patients", sk: "p1" } }),
    );
  } catch (error) {
    if (!(error instanceof EncryptionError)) throw error;
    console.log("initech after revoking:", error.code);
  }
  const acme = await fresh.send(
    new GetCommand({ TableName, Key: { pk: "tenant#acme#patients", sk: "p1" } }),
  );
  console.log("acme still reads:", acme.Item?.diagnosis);
});
