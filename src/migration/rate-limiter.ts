import { sleep } from "./retry";

/**
 * Keeps a rate below `perSecond` by spacing work out: each `take(n)` waits
 * until the units taken before it have had their time. Used for items per
 * second (`maxRate`) and for capacity units per second (`maxCapacity`, taken
 * after each call from the `ConsumedCapacity` DynamoDB reports). Unlimited
 * when `perSecond` is undefined.
 */
export class RateLimiter {
  private next = 0;

  constructor(private readonly perSecond: number | undefined) {}

  async take(units: number): Promise<void> {
    if (this.perSecond === undefined || units <= 0) return;
    const now = Date.now();
    const start = Math.max(now, this.next);
    this.next = start + (units / this.perSecond) * 1000;
    if (start > now) await sleep(start - now);
  }
}
