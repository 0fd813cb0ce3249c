import { EncryptionError } from "../errors/encryption-error";

/** DynamoDB's throttling and transient server errors, by exception name. */
const DYNAMODB_RETRYABLE = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
]);

/** True for throttling or a transient failure of DynamoDB or KMS, which a later attempt may pass. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof EncryptionError)
    return error.code === "kms.throttled" || error.code === "kms.failed";
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && DYNAMODB_RETRYABLE.has(name);
}

/** How often and how long to retry throttling. */
export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** The first backoff ceiling, doubled on each attempt. */
  baseMs: number;
  /** The largest backoff ceiling. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 8, baseMs: 100, maxMs: 10_000 };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, retrying throttling and transient failures with exponential
 * backoff and full jitter (a random wait up to the doubling ceiling), so that
 * many workers throttled at once do not retry in step. Other errors, and the
 * last retryable one, are thrown.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (error: unknown) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.retries || !isRetryable(error)) throw error;
      onRetry?.(error);
      await sleep(Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
    }
  }
}
