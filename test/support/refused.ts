import { EncryptionError } from "../../src";
import type { FakeDynamoDB } from "./fake-dynamodb";
import { SAMPLE_SECRETS } from "./plugin-setup";

/**
 * Asserts that a call failed closed: an EncryptionError with `code`, no
 * request reached the (fake) wire, and the message holds no sample secret.
 */
export async function expectRefused(
  promise: Promise<unknown>,
  fake: FakeDynamoDB,
  code: string,
): Promise<EncryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EncryptionError);
  expect((error as EncryptionError).code).toBe(code);
  expect(fake.requests).toHaveLength(0);
  for (const secret of SAMPLE_SECRETS) expect((error as Error).message).not.toContain(secret);
  return error as EncryptionError;
}
