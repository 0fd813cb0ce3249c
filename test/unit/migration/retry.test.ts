import { EncryptionError } from "../../../src";
import { isRetryable, withRetry } from "../../../src/migration/retry";

const named = (name: string) => Object.assign(new Error(name), { name });
const fast = { retries: 3, baseMs: 1, maxMs: 2 };

describe("withRetry", () => {
  it("retries DynamoDB throttling and KMS throttling, then returns the result", async () => {
    const errors = [
      named("ProvisionedThroughputExceededException"),
      new EncryptionError("kms.throttled", "x"),
    ];
    let calls = 0;
    const out = await withRetry(() => {
      calls++;
      const next = errors.shift();
      return next ? Promise.reject(next) : Promise.resolve("done");
    }, fast);
    expect(out).toBe("done");
    expect(calls).toBe(3);
  });

  it("throws the last error once the retries are used up", async () => {
    let calls = 0;
    await expect(
      withRetry(() => {
        calls++;
        return Promise.reject(named("ThrottlingException"));
      }, fast),
    ).rejects.toThrow("ThrottlingException");
    expect(calls).toBe(4);
  });

  it("does not retry what a retry cannot fix: value failures, access denied, conditional failures", async () => {
    for (const error of [
      new EncryptionError("ciphertext.tampered", "x"),
      new EncryptionError("kms.accessDenied", "x"),
      named("ConditionalCheckFailedException"),
    ]) {
      expect(isRetryable(error)).toBe(false);
      let calls = 0;
      await expect(
        withRetry(() => {
          calls++;
          return Promise.reject(error);
        }, fast),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
