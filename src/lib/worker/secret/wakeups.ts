/**
 * Asks the relay to wake this device near its timed messages' deadlines, as coarse slots of its own
 * (./wake-slots.ts). The device's phase and the slots it has asked for are kept in `meta`, so each slot
 * is asked for once.
 *
 * When: a slot chosen as a message is read is not registered at once — that POST would still tell the
 * relay the read time to the millisecond. New slots wait in `meta` (`wakeDue`) and go in one request
 * at a random time (./jitter.ts wakeSendAt): up to WAKE_SEND_MAX_MS later, and always WAKE_LEAD_MS
 * before the earliest of them, so no slot is registered after it. A registration the relay could not
 * take for a network reason is tried again (while its slot is ahead); one it refused is forgotten, so
 * a later deadline in that slot asks again. Slots still due when the app closes are sent at the next
 * start if still ahead; a closed app whose registration never went is purged at its next start
 * (docs/timers.md).
 */
import type { CinderDB } from '$lib/store/db';
import { NetError } from '../net';
import { WAKE_LEAD_MS, wakeSendAt, type Clock } from './jitter';
import type { SecretRelay } from './relay';
import { newWakePhase, slotsToRegister, WAKE_SLOT_MS } from './wake-slots';

/** The relay keeps a wake-up for at most 8 days; later deadlines are purged at a later start. */
const HORIZON_MS = 8 * 86400_000 - 60_000;
/** Times per `POST /api/wakeups`. */
const PER_CALL = 100;
/** A registration that met a network failure is tried again after this long (± half). */
const RETRY_MS = 30_000;

const validPhase = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < WAKE_SLOT_MS;
const validSlots = (v: unknown): v is number[] => Array.isArray(v) && v.every((s) => typeof s === 'number' && Number.isFinite(s));
const retryable = (e: unknown) => e instanceof NetError && (e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500);

export class Wakeups {
  private timer: unknown = null;
  private timerAt = Infinity;
  private stopped = false;
  /** The registration the timer last started. */
  private running: Promise<void> = Promise.resolve();
  /** add() calls still storing their slots (what sendWithin waits for). */
  private readonly adding = new Set<Promise<void>>();

  constructor(
    private readonly db: CinderDB,
    private readonly relay: SecretRelay,
    private readonly clock: Clock
  ) {}

  private async slots(key: 'wakeSlots' | 'wakeDue', now: number): Promise<number[]> {
    const v = (await this.db.meta.get(key))?.value;
    return (validSlots(v) ? v : []).filter((s) => s > now);
  }

  /** New deadlines: their slots are chosen now (once each) and registered at a random time before the earliest. */
  async add(deadlines: readonly number[]): Promise<void> {
    const run = this.store(deadlines).then(() => this.arm());
    this.adding.add(run);
    try {
      await run;
    } finally {
      this.adding.delete(run);
    }
  }

  private async store(deadlines: readonly number[]): Promise<void> {
    const now = this.clock.now();
    const pending = deadlines.filter((d) => d > now);
    if (!pending.length) return;
    const { db } = this;
    await db.transaction('rw', db.meta, async () => {
      const stored = (await db.meta.get('wakePhase'))?.value;
      const phase = validPhase(stored) ? stored : newWakePhase(() => this.clock.random());
      if (phase !== stored) await db.meta.put({ key: 'wakePhase', value: phase });
      const due = await this.slots('wakeDue', now);
      const known = new Set([...(await this.slots('wakeSlots', now)), ...due]);
      const add = slotsToRegister(pending, phase, known, now + HORIZON_MS);
      if (add.length) await db.meta.put({ key: 'wakeDue', value: [...due, ...add] });
    });
  }

  /** Arms the send for the slots waiting (at a start too): a timer already early enough is kept. */
  async arm(): Promise<void> {
    const now = this.clock.now();
    const due = await this.slots('wakeDue', now);
    if (!due.length) return;
    const earliest = Math.min(...due);
    if (this.timer !== null && this.timerAt <= Math.max(now, earliest - WAKE_LEAD_MS)) return;
    this.at(
      wakeSendAt(now, earliest, () => this.clock.random()),
      now
    );
  }

  /**
   * A service-worker wake: the browser ends it seconds after its work, so a timer set for later never
   * fires. The waiting slots (also those of adds still storing) are sent before this resolves, at a
   * random time within `maxMs` (and WAKE_LEAD_MS before the earliest), not at once after the read.
   */
  async sendWithin(maxMs: number): Promise<void> {
    await Promise.allSettled([...this.adding]);
    const now = this.clock.now();
    const due = await this.slots('wakeDue', now);
    if (!due.length || this.stopped) return;
    const when = wakeSendAt(now, Math.min(...due), () => this.clock.random(), maxMs);
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, when - now));
    await this.send();
  }

  /** Resolves when the registration the timer last started is done (what a test waits on, not a time). */
  idle(): Promise<void> {
    return this.running;
  }

  /** This engine is done: its timer is dropped; the waiting slots stay kept for the next one. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private at(when: number, now: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = when;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.running = this.send().catch(() => undefined);
      },
      Math.max(0, when - now)
    );
  }

  /** Registers every waiting slot now (the timer's work; the same slot is never sent by two runs). */
  async send(): Promise<void> {
    const now = this.clock.now();
    const { db } = this;
    const fresh = await db.transaction('rw', db.meta, async () => {
      const due = await this.slots('wakeDue', now);
      if (!due.length) return [];
      await db.meta.put({ key: 'wakeDue', value: [] });
      await db.meta.put({ key: 'wakeSlots', value: [...(await this.slots('wakeSlots', now)), ...due] });
      return due.sort((a, b) => a - b);
    });
    let retry = false;
    for (let i = 0; i < fresh.length; i += PER_CALL) {
      const part = fresh.slice(i, i + PER_CALL);
      try {
        await this.relay.wakeAt(part);
      } catch (e) {
        retry ||= retryable(e);
        await this.forget(part, retryable(e));
      }
    }
    if (retry) this.at(now + Math.round(RETRY_MS * (0.5 + this.clock.random())), now);
  }

  /** A slot the relay did not take: not registered after all; waiting again if it may yet be taken. */
  private async forget(slots: number[], again: boolean): Promise<void> {
    const gone = new Set(slots);
    const { db } = this;
    await db.transaction('rw', db.meta, async () => {
      const kept = (await db.meta.get('wakeSlots'))?.value;
      if (validSlots(kept)) await db.meta.put({ key: 'wakeSlots', value: kept.filter((s) => !gone.has(s)) });
      if (again) await db.meta.put({ key: 'wakeDue', value: [...(await this.slots('wakeDue', this.clock.now())), ...slots] });
    });
  }
}
