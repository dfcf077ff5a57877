/**
 * A Clock (src/lib/worker/secret/jitter.ts) whose timers run only when a test moves time on, and
 * whose chance is a fixed value, a given sequence (then Math.random), or Math.random. Without `now` it follows the real time plus
 * whatever the test advanced, so it agrees with the Date.now() the rest of the engine uses.
 */
import type { Clock } from '$lib/worker/secret/jitter';

export class FakeClock implements Clock {
  private offset = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private draws: number[];

  constructor(private readonly opts: { now?: number; random?: number | number[] } = {}) {
    this.draws = Array.isArray(opts.random) ? [...opts.random] : [];
  }

  now(): number {
    return (this.opts.now ?? Date.now()) + this.offset;
  }

  random(): number {
    if (this.draws.length) return this.draws.shift()!;
    return typeof this.opts.random === 'number' ? this.opts.random : Math.random();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now() + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** When the armed timers fire, earliest first. */
  armed(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, running each timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.now() + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.offset += Math.max(0, next[1].at - this.now());
      next[1].fn();
    }
    this.offset += Math.max(0, end - this.now());
  }
}
