/**
 * Receipts batched per chat and sent at a random delay (issue #20 §4). A read report and a cumulative
 * ACK frame are padded ciphertext of a message's size, but sent at once they left ~130 ms after the
 * message they answer reached the device or the screen, so the relay could tell them by timing.
 * Instead each chat's receipts wait for its next batch, drawn uniformly in RECEIPT_DELAY_MS
 * (./jitter.ts): all messages read meanwhile go in ONE read report (a data frame, which carries the
 * ACK too), and a separate ACK frame only if no report went.
 *
 * Reads are already applied here (status, this device's timer) when they are recorded; what waits is
 * telling the peer. The report carries the read time, so the peer's timer starts then, not when the
 * report arrives. Reads still to tell are kept in `meta` (key `receiptsDue`: message ids and the
 * earliest read time per chat — both in clear in the message rows already), so an app closed before
 * the batch sends it at the next start. ACKs are not kept: the next frame to that chat carries one.
 */
import { withLock } from '../locks';
import type { Chats } from './chats';
import { NewerStateError, SecretError } from './errors';
import { receiptDelay, type Clock } from './jitter';
import type { Outbound } from './outbound';

const KEY = 'receiptsDue';
/** A read report names at most this many messages (payload.ts). */
const PER_REPORT = 500;
/** A batch that keeps failing (not for the network: the send queue absorbs that) is tried this often, then left for the next start. */
const MAX_TRIES = 3;

type Due = Record<string, { ids: string[]; at: number }>;

const validDue = (v: unknown): v is Due =>
  !!v &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.values(v).every((e) => !!e && Array.isArray(e.ids) && e.ids.every((id: unknown) => typeof id === 'string') && Number.isFinite(e.at));

export class Receipts {
  private readonly timers = new Map<string, unknown>();
  private readonly acks = new Set<string>();
  /** Batches that failed in a row, per chat: after MAX_TRIES the reads wait for the next start. */
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly chats: Chats,
    private readonly out: Outbound,
    private readonly clock: Clock
  ) {}

  private async load(): Promise<Due> {
    const v = (await this.chats.ctx.db.meta.get(KEY))?.value;
    return validDue(v) ? v : {};
  }

  private async change(fn: (due: Due) => void): Promise<void> {
    const { db } = this.chats.ctx;
    await db.transaction('rw', db.meta, async () => {
      const due = await this.load();
      fn(due);
      await db.meta.put({ key: KEY, value: due });
    });
  }

  /** Messages read on this device at `at`: kept until the chat's next batch tells the peer. */
  async read(chatId: string, ids: string[], at: number): Promise<void> {
    await this.change((due) => {
      const e = due[chatId];
      // One report, one read time: the earliest, so the peer's timers never run later than ours.
      due[chatId] = e ? { ids: [...new Set([...e.ids, ...ids])], at: Math.min(e.at, at) } : { ids: [...new Set(ids)], at };
    });
    this.schedule(chatId);
  }

  /** Chats that received data they have not acknowledged: an ACK goes with the chat's next batch. */
  ack(chatIds: string[]): void {
    for (const id of chatIds) {
      this.acks.add(id);
      this.schedule(id);
    }
  }

  /** Reads left by an earlier run (the app closed before their batch) get a batch of their own. */
  async resume(): Promise<void> {
    for (const chatId of Object.keys(await this.load())) this.schedule(chatId);
  }

  /** Whether a batch is waiting for this chat (tests, diagnostics). */
  pending(chatId: string): boolean {
    return this.timers.has(chatId);
  }

  /** This engine is done (locked, signed out): no batch fires any more; the reads stay kept for the next one. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private schedule(chatId: string): void {
    if (this.stopped || this.timers.has(chatId)) return;
    const handle = this.clock.setTimeout(
      () => {
        this.timers.delete(chatId);
        void this.send(chatId).catch((e) => console.warn('cinder secret: receipts failed', e));
      },
      receiptDelay(() => this.clock.random())
    );
    this.timers.set(chatId, handle);
  }

  /** Sends a chat's batch now (every chat's without `chatId`), instead of at its random time. */
  async send(chatId?: string): Promise<void> {
    const chatIds = chatId ? [chatId] : [...new Set([...Object.keys(await this.load()), ...this.acks, ...this.timers.keys()])];
    for (const id of chatIds) await this.sendChat(id);
    await this.out.flush();
  }

  private async sendChat(chatId: string): Promise<void> {
    const timer = this.timers.get(chatId);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.timers.delete(chatId);
    // One sender per chat across the page's worker and the service worker: the second finds the batch gone.
    await withLock(`cinder-receipts-${chatId}`, () => this.sendLocked(chatId));
  }

  private async sendLocked(chatId: string): Promise<void> {
    const entry = (await this.load())[chatId];
    for (let i = 0; entry && i < entry.ids.length; i += PER_REPORT) {
      const ids = entry.ids.slice(i, i + PER_REPORT);
      try {
        await this.out.send(chatId, { k: 'read', ids, at: entry.at });
      } catch (e) {
        // A state a newer version wrote: that version sends them (they stay kept), and the other chats' batches still go.
        if (e instanceof NewerStateError) return;
        // The chat ended or is gone: nobody is left to tell. Anything else: a later batch tries again.
        if (!(e instanceof SecretError && (e.code === 'not_active' || e.code === 'not_found'))) {
          const tries = (this.failures.get(chatId) ?? 0) + 1;
          this.failures.set(chatId, tries);
          if (tries < MAX_TRIES) this.schedule(chatId);
          throw e;
        }
      }
      // Only what was sent: reads recorded meanwhile stay for the next batch.
      const sent = new Set(ids);
      await this.change((due) => {
        const left = due[chatId]?.ids.filter((x) => !sent.has(x)) ?? [];
        if (left.length) due[chatId] = { ids: left, at: due[chatId]!.at };
        else delete due[chatId];
      });
    }
    this.failures.delete(chatId);
    // A read report carried the ACK already; then this sends nothing.
    if (this.acks.delete(chatId)) await this.out.sendAcks([chatId]);
  }
}
