import { startDynamoDBLocal } from "../scripts/dynamodb-local/start";
import { KmsTestServer } from "../src/testing";

async function main(): Promise<void> {
  const dynamo = await startDynamoDBLocal({ log: console.log });
  const kms = await KmsTestServer.start();
  try {
    console.log(`DynamoDB Local: ${dynamo.endpoint}`);
    console.log(`KMS test server: ${kms.endpoint}`);
  } finally {
    await kms.stop();
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
