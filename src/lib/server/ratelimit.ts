/**
 * In-memory token buckets. Each key starts with `capacity` tokens and regains `refillPerSec` per second;
 * a request costs one token. Memory stays bounded because buckets that have refilled completely carry
 * no information and are swept. (One process only: a multi-node deployment needs a shared store.)
 */

import { isIPv6 } from 'node:net';

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
export const perMinute = (perMinute: number, now?: () => number) => new RateLimiter({ capacity: perMinute, refillPerSec: perMinute / 60, now });

/**
 * The per-address bucket for a client address: IPv4 (and IPv4-mapped IPv6) by the full address, other
 * IPv6 by its /64, since one subscriber usually gets a whole /64 and could rotate through it freely.
 */
export function addressBucket(address: string): string {
  const addr = address.split('%')[0].toLowerCase(); // drop a zone id (fe80::1%eth0)
  if (!isIPv6(addr)) return address; // IPv4, or no address at all ('unknown')
  const g = expandIPv6(addr);
  if (g.slice(0, 5).every((x) => x === '0') && g[5] === 'ffff') {
    const hi = parseInt(g[6], 16);
    const lo = parseInt(g[7], 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${g.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(addr: string): string[] {
  let s = addr;
  // An embedded IPv4 tail (::1.2.3.4 and friends) becomes two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    s = s.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16));
}
