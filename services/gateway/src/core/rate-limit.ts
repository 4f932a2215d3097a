/** A token bucket: `tokens` left as of `at` (ms). */
export interface TokenBucket {
  tokens: number;
  at: number;
}

export interface RateSettings {
  /** Tokens added a second. */
  perSecond: number;
  /** The bucket's size: requests that may come at once. */
  burst: number;
}

export type RateDecision = { allowed: true; bucket: TokenBucket } | { allowed: false; bucket: TokenBucket; retryAfterSeconds: number };

/** Takes one token from the bucket (a new one starts full), refilled for the time since it was last seen. */
export function takeToken(bucket: TokenBucket | undefined, now: number, settings: RateSettings): RateDecision {
  const refilled = refill(bucket, now, settings);
  if (refilled.tokens >= 1) return { allowed: true, bucket: { tokens: refilled.tokens - 1, at: now } };
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - refilled.tokens) / settings.perSecond));
  return { allowed: false, bucket: refilled, retryAfterSeconds };
}

/** Whether the bucket would be full by `now`: such a bucket may be forgotten, as a new one starts full. */
export function isFull(bucket: TokenBucket, now: number, settings: RateSettings): boolean {
  return refill(bucket, now, settings).tokens >= settings.burst;
}

function refill(bucket: TokenBucket | undefined, now: number, settings: RateSettings): TokenBucket {
  if (bucket === undefined) return { tokens: settings.burst, at: now };
  const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(settings.burst, bucket.tokens + elapsedSeconds * settings.perSecond), at: now };
}
