import { isFull, takeToken, type RateSettings, type TokenBucket } from '../core/rate-limit.ts';

/** Buckets kept before full ones are forgotten: callers without a token are keyed by address, so the map must not grow for ever. */
const sweepAbove = 10_000;

/** Per key (a token's name, or a caller's address), a token bucket in this process: each gateway instance limits on its own. */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #settings: RateSettings;
  readonly #clock: () => number;

  constructor(settings: RateSettings, clock: () => number) {
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Undefined when the request may go on; else how many seconds to wait. */
  take(key: string): number | undefined {
    const now = this.#clock();
    const decision = takeToken(this.#buckets.get(key), now, this.#settings);
    this.#buckets.set(key, decision.bucket);
    if (this.#buckets.size > sweepAbove) this.#sweep(now);
    return decision.allowed ? undefined : decision.retryAfterSeconds;
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (isFull(bucket, now, this.#settings)) this.#buckets.delete(key);
  }
}

/** Live event streams open per token, at most `max` each. */
export class StreamCounter {
  readonly #open = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts a stream opened by `key`, or false when it holds its most already. */
  open(key: string): boolean {
    const count = this.#open.get(key) ?? 0;
    if (count >= this.#max) return false;
    this.#open.set(key, count + 1);
    return true;
  }

  close(key: string): void {
    const count = (this.#open.get(key) ?? 1) - 1;
    if (count <= 0) this.#open.delete(key);
    else this.#open.set(key, count);
  }
}
