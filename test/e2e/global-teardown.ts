/** Stops DynamoDB Local by its PID. Jest runs this also when tests fail. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__DYNAMODB_LOCAL__?.stop();
  globalThis.__DYNAMODB_LOCAL__ = undefined;
}
