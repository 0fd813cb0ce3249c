import { startDynamoDBLocal, type DynamoDBLocal } from "../../scripts/dynamodb-local/start";

declare global {
  var __DYNAMODB_LOCAL__: DynamoDBLocal | undefined;
}

/** Starts one DynamoDB Local for the e2e tier and hands its endpoint to the test files. */
export default async function globalSetup(): Promise<void> {
  const local = await startDynamoDBLocal({ log: (line) => process.stderr.write(`${line}\n`) });
  globalThis.__DYNAMODB_LOCAL__ = local;
  process.env.DYNAMODB_ENDPOINT = local.endpoint;
}
