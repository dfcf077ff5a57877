/**
 * In-memory token buckets. Each key starts with `capacity` tokens and regains `refillPerSec` per second;
 * a request costs one token. Memory stays bounded because buckets that have refilled completely carry
 * no information and are swept. (One process only: a multi-node deployment needs a shared store.)
 */

export type Take = { ok: true } | { ok: false; retryAfterSec: number };

export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly capacity: number,
    private readonly refillPerSec: number,
    private readonly now: () => number = Date.now
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.at) / 1000) * this.refillPerSec);
    this.at = t;
  }

  take(cost = 1): Take {
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((cost - this.tokens) / this.refillPerSec)) };
  }

  /** True when the bucket is back to full and can be forgotten. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }
}

export interface RateLimiterOptions {
  capacity: number;
  refillPerSec: number;
  now?: () => number;
  /** How often idle buckets are swept (ms). */
  sweepMs?: number;
  /** Sweep eagerly when this many keys are tracked. */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: RateLimiterOptions) {
    this.timer = setInterval(() => this.sweep(), opts.sweepMs ?? 60_000);
    this.timer.unref();
  }

  take(key: string, cost = 1): Take {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= (this.opts.maxKeys ?? 100_000)) this.sweep();
      b = new TokenBucket(this.opts.capacity, this.opts.refillPerSec, this.opts.now);
      this.buckets.set(key, b);
    }
    return b.take(cost);
  }

  sweep(): void {
    for (const [k, b] of this.buckets) if (b.isFull()) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.buckets.clear();
  }
}

/** Limit of `perMinute` per key, allowing all of them in a burst. */
export const perMinute = (perMinute: number, now?: () => number) =>
  new RateLimiter({ capacity: perMinute, refillPerSec: perMinute / 60, now });
