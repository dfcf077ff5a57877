/**
 * Receiving: relay envelopes pulled in queue order, each handled once (a request, an accept or a
 * ratchet message), its effects committed with it marked seen, and only then acknowledged to the
 * relay, so a crash between decrypt and save loses nothing: the envelope comes back.
 */
import { fromB64u } from '$lib/api/b64';
import { isAddressed, LIMITS, type Envelope } from '$lib/api/wire';
import { decodeEnvelope, toHex, unsealEnvelope, type Session } from '$lib/crypto';
import type { SecretChatRow } from '$lib/store/db';
import { seenRecord } from '$lib/store/upgrade-seen-batches';
import { SEQ_UNKNOWN } from '$lib/store/upgrade-seen-seq';
import { takeHeld } from '../locked-inbox';
import { withLock } from '../locks';
import { isOutage } from '../net';
import { endChatsWithDeletedAccount } from './account-deleted';
import { receiveBatch, type BatchItem } from './batch';
import type { Chats } from './chats';
import { recordRejection } from './diagnostics';
import { localFailure, NewerStateError, SecretError, type StoreFailure } from './errors';
import { KIND_REFUSE, type Failures } from './failure';
import type { Handshake } from './handshake';
import type { Outbound } from './outbound';
import { park, takeParked } from './parked';
import type { RecvHeaderKeys } from './sealed';
import type { Received } from './state';

const KIND_REQUEST = 0x01;
const KIND_ACCEPT = 0x02;
const KIND_MESSAGE = 0x03;

const SEEN_KEEP_MS = 8 * 86400_000;
/** Old seen-envelope records are dropped at most this often (not at every page or live envelope). */
const SEEN_PRUNE_MS = 10 * 60_000;

/** A ratchet envelope ready for its chat's batch, or (null) another kind, handled alone. */
type Classified = { chatId: string; item: BatchItem } | null;

/** The highest seq a receive run handled and acknowledged (see live()); kept beside its result. */
const runUpTo = new WeakMap<Received, number>();

export class Inbound {
  private inbound = Promise.resolve();
  private received: Received = { chats: new Map() };
  private ackDue = new Set<string>();
  private pulling: Promise<Received> | null = null;
  private pullAgain = false;
  private retryMs = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set by stop(): a run still going when the engine stopped schedules no retry. */
  private stopped = false;
  /** Set by the engine: where the chats owing an ACK go (the receipt batches, receipts.ts); sent at once otherwise. */
  onAcksDue: (chatIds: string[]) => Promise<void> | void = (chatIds) => this.out.sendAcks(chatIds);
  /** Every envelope of this device's queue up to this seq is handled (pulled in order, or live). */
  private handledUpTo = 0;
  private liveChain: Promise<unknown> = Promise.resolve();
  private prunedAt = 0;
  /** Within a receive run: the chat of a protocol chat id or a mailbox, once found (see classify()). */
  private lookups = new Map<string, string>();
  /** Seen records without a seq may exist (unknown until the first run looks; once none, none come back). */
  private legacySeen: boolean | null = null;
  /** During a pull: its pages' relay ACKs, one after the other, each sent while the next page is handled. */
  private acking: Promise<void> | null = null;

  constructor(
    private readonly chats: Chats,
    private readonly out: Outbound,
    private readonly handshake: Handshake,
    private readonly failures: Failures
  ) {}

  /** Processes relay envelopes in order, one at a time, then acknowledges them to the relay. */
  receive(envelopes: Envelope[]): Promise<Received> {
    // One receiver at a time across the page's worker and the service worker.
    const run = this.inbound.then(() =>
      withLock('cinder-inbound', () =>
        this.chats.gathered(async () => {
          this.received = { chats: new Map() };
          const { db } = this.chats.ctx;
          if (Date.now() - this.prunedAt >= SEEN_PRUNE_MS) {
            this.prunedAt = Date.now();
            await db.seenEnvelopes
              .where('at')
              .below(Date.now() - SEEN_KEEP_MS)
              .delete();
          }
          // Only this run records envelopes as seen (it holds the lock every receiver takes).
          const seen = await this.seen(envelopes);
          this.lookups.clear();
          let upTo = 0;
          // Set in flush() too (a closure): typed so TypeScript does not narrow it to null.
          let failed = null as StoreFailure | null;
          // An outage stopped the run short: pull again later (nothing else may come to pull soon).
          let stopped = false;
          // Consecutive ratchet envelopes of one chat, received together (batch.ts); `to`: the last seq they cover.
          let batch: { chatId: string; items: BatchItem[]; to: number } | null = null;
          const flush = async (): Promise<boolean> => {
            if (!batch) return true;
            const b = batch;
            batch = null;
            try {
              await receiveBatch(this.chats, b.chatId, b.items, { received: this.received, ackDue: this.ackDue });
            } catch (e) {
              // Not the sender's fault: unacknowledged, the whole batch comes back (this run stops here, in order).
              const local = localFailure(e);
              if (local) return ((failed = local), false);
              await recordRejection(this.chats.ctx, e);
            }
            upTo = b.to;
            return true;
          };
          for (const [i, env] of envelopes.entries()) {
            if (seen[i]) {
              if (batch) batch.to = env.seq;
              else upTo = env.seq;
              continue;
            }
            let m: Classified;
            try {
              m = await this.classify(env);
            } catch (e) {
              if (!(await flush())) break;
              const local = localFailure(e);
              if (local) {
                failed = local;
                break;
              }
              await recordRejection(this.chats.ctx, e);
              upTo = env.seq;
              continue;
            }
            if (m) {
              if (batch && batch.chatId !== m.chatId && !(await flush())) break;
              batch ??= { chatId: m.chatId, items: [], to: env.seq };
              batch.items.push(m.item);
              batch.to = env.seq;
              continue;
            }
            // A handshake, a refusal, an account notice: alone, after the batch before it, as before.
            if (!(await flush())) break;
            this.lookups.clear();
            try {
              await this.handle(env);
              // A frame that changed nothing (e.g. for a cancelled chat) was not committed with it.
              if (this.chats.lastSeenCommitted !== env.id) await db.seenEnvelopes.put(seenRecord([env], Date.now()));
            } catch (e) {
              // Not the sender's fault either (a claim or a lookup met an outage): kept on the relay, retried later.
              if (isOutage(e)) {
                stopped = true;
                break;
              }
              // A chat a newer version wrote (an accept, a refusal or a notice met its state): kept for it (parked.ts).
              const local = localFailure(e) ?? (e instanceof NewerStateError ? await park(this.chats, e.chatId, [env]).catch(localFailure) : null);
              if (local) {
                // Not the sender's fault: unacknowledged, it comes back (this run stops here, in order).
                failed = local;
                break;
              }
              if (!(e instanceof NewerStateError)) await recordRejection(this.chats.ctx, e);
            }
            upTo = env.seq;
          }
          await flush();
          // The peer may forget what we now hold: one cumulative ACK per chat after the batch.
          const due = [...this.ackDue];
          this.ackDue.clear();
          await this.onAcksDue(due);
          if (upTo) await this.ackRelay(upTo);
          void this.out.flush();
          if (failed) {
            console.warn('cinder secret: a received message could not be stored; it stays on the relay', failed.cause);
            this.retryLater();
            throw failed;
          }
          if (stopped) this.retryLater();
          else this.retryMs = 0;
          runUpTo.set(this.received, upTo);
          return this.received;
        })
      )
    );
    this.inbound = run.then(
      () => undefined,
      () => undefined
    );
    return run;
  }

  /** Envelopes the service worker held while locked (locked-inbox.ts), received before anything newer. */
  takeHeld(): Promise<{ handled: number; left: number }> {
    return takeHeld(this.chats.ctx.db, this.receiveUpTo);
  }

  /** A receive run over envelopes kept here (held, parked), answering the seq up to which it handled them. */
  private readonly receiveUpTo = async (envelopes: Envelope[]) => runUpTo.get(await this.receive(envelopes)) ?? 0;

  /**
   * Which of `envelopes` (one relay page, in seq order) were handled before: the seen records holding
   * any of the page's seqs, read at once (a record lists a whole batch). Records from before seqs were
   * kept (seq 0, pruned after 8 days) are looked up by id as well, while any is left. Called under
   * the inbound lock.
   */
  private async seen(envelopes: Envelope[]): Promise<boolean[]> {
    const { db } = this.chats.ctx;
    if (!envelopes.length) return [];
    const seqs = envelopes.map((e) => e.seq);
    const ids = new Set<string>();
    const records = await db.seenEnvelopes
      .where('seqs')
      .between(Math.min(...seqs), Math.max(...seqs), true, true)
      .distinct()
      .toArray();
    for (const r of records) for (const id of r.ids) ids.add(id);
    if (this.legacySeen !== false) {
      this.legacySeen = (await db.seenEnvelopes.where('seqs').equals(SEQ_UNKNOWN).count()) > 0;
      if (this.legacySeen) for (const r of await db.seenEnvelopes.bulkGet(envelopes.map((e) => e.id))) if (r) ids.add(r.id);
    }
    return envelopes.map((e) => ids.has(e.id));
  }

  /**
   * Tells the relay everything up to `upTo` is handled (committed: it may drop them). Within a pull
   * the ACK does not hold up the next page: ACKs go in order while pages are handled, and the pull
   * ends once the last one is answered. A lost ACK only brings committed envelopes back, known as seen.
   */
  private ackRelay(upTo: number): Promise<void> {
    const send = () => this.chats.relay.ack(upTo).catch(() => undefined);
    if (!this.acking) return send();
    this.acking = this.acking.then(send);
    return Promise.resolve();
  }

  /** The engine is done with: no retry pulls through it any more (the next engine pulls at its start). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** After a store failure or an outage nothing else may pull soon: pull again in 2 s, doubling up to a minute. */
  private retryLater() {
    // One retry waits at a time, however many runs failed; none once stopped (a run that was under way then fails later).
    if (this.retryTimer || this.stopped) return;
    this.retryMs = Math.min(60_000, this.retryMs ? this.retryMs * 2 : 2000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.pull().catch(() => undefined);
    }, this.retryMs);
  }

  /**
   * Pulls everything the relay holds for this device, page by page, in queue order. A live
   * "envelope" frame comes here when it cannot be handled alone (see live()): processing one directly
   * and acknowledging up to it could drop older envelopes still waiting on the relay.
   */
  pull(): Promise<Received> {
    if (this.pulling) {
      this.pullAgain = true;
      return this.pulling;
    }
    const total: Received = { chats: new Map() };
    this.pulling = (async () => {
      // About twice a day: mailboxes for the coming days (a failure is retried at the next pull).
      await this.chats.mailboxes.refreshIfDue().catch(() => undefined);
      // Held envelopes are older than any on the relay (acknowledged when held): while some wait, nothing newer is taken.
      if ((await this.takeHeld()).left) return total;
      // So are parked ones (parked.ts), of chats this version reads now.
      if ((await takeParked(this.chats, this.receiveUpTo)).left) return total;
      this.acking = Promise.resolve();
      try {
        await this.pullPasses(total);
      } catch (e) {
        // A page not fetched (offline, 429, 5xx) while the socket stays up: no frame may come to pull
        // for what waits on the relay, so this pulls again after a backoff.
        if (isOutage(e)) this.retryLater();
        throw e;
      }
      return total;
    })().finally(() => {
      // After a failed page, ACKs already due still go (they cover committed envelopes only).
      this.acking = null;
      this.pulling = null;
    });
    return this.pulling;
  }

  /** A pull's passes over the relay's queue, from its start, until no frame asked for another. */
  private async pullPasses(total: Received): Promise<void> {
    do {
      this.pullAgain = false;
      let after = 0;
      // From the queue's start, page after page, while no page stops short.
      let next = this.chats.relay.pull(after, LIMITS.envelopePageMax);
      for (;;) {
        const { envelopes, more } = await next;
        if (!envelopes.length) break;
        // Read ahead: the next page travels while this one is decrypted (it is only read; acks follow commits).
        const full = envelopes.length >= LIMITS.envelopePageMax || more === true;
        if (full) {
          next = this.chats.relay.pull(envelopes[envelopes.length - 1].seq, LIMITS.envelopePageMax);
          next.catch(() => undefined); // awaited below unless this page fails first
        }
        const got = await this.receive(envelopes);
        for (const [chatId, n] of got.chats) total.chats.set(chatId, (total.chats.get(chatId) ?? 0) + n);
        after = envelopes[envelopes.length - 1].seq;
        // A page that stopped short ends the pull: the next page's ACK would drop what it left on the relay.
        if (runUpTo.get(got) !== after) break;
        this.handledUpTo = Math.max(this.handledUpTo, after);
        if (!full) break;
      }
      // The pass ends once its ACKs are answered, and only then is `pullAgain` read: a frame that
      // came while the last ACK travelled joined this pull, and nothing else would pull for it.
      await this.acking;
    } while (this.pullAgain);
  }

  /**
   * A live "envelope" frame (one at a time, in arrival order). Taken from the frame itself when
   * everything queued before it (`prev`, from the relay) is handled and no pull runs: then it is the
   * next in queue order and acknowledging up to it drops nothing unseen. Otherwise (a gap, a pull
   * running, no `prev`) this pulls, as before.
   */
  live(env: Envelope, prev: number | undefined): Promise<Received> {
    const run = this.liveChain.then(async () => {
      if (prev === undefined || this.pulling || prev > this.handledUpTo) return this.pull();
      const got = await this.receive([env]);
      if (runUpTo.get(got) === env.seq) this.handledUpTo = Math.max(this.handledUpTo, env.seq);
      return got;
    });
    this.liveChain = run.catch(() => undefined);
    return run;
  }

  /** A new socket: forget how far the queue was handled (see live()). */
  reconnected(): void {
    this.handledUpTo = 0;
  }

  /**
   * Which chat's batch a ratchet envelope joins (its validity checked as far as it can be without
   * the chat's keys), or null for the kinds handled alone. Throws what rejects the envelope.
   */
  private async classify(e: Envelope): Promise<Classified> {
    if (e.notice) return null;
    const body = bodyOf(e);
    // A sealed post (protocol 2) names no sender: its mailbox says which chat it is for.
    if (e.mailbox) return this.sealedTo(e, e.mailbox, body);
    if (!isAddressed(e) || body[1] !== KIND_MESSAGE) return null;
    const { header } = decodeEnvelope(body);
    const proto = toHex(header.chatId);
    let found = this.lookups.get(`p:${proto}`);
    if (!found) {
      const row0 = await this.chats.ctx.db.secretChats.where('protoChatId').equals(proto).first();
      if (!row0) throw new SecretError('unknown_chat', 'envelope for a chat this device does not have');
      found = `${row0.id}\n${row0.peerDeviceId}`;
      this.lookups.set(`p:${proto}`, found);
    }
    const [chatId, peerDeviceId] = found.split('\n');
    if (peerDeviceId !== e.fromDeviceId) throw new SecretError('wrong_sender', 'envelope from a device that is not in this chat');
    return { chatId: chatId!, item: { envId: e.id, seq: e.seq, envelope: e, open: () => body } };
  }

  /**
   * A sealed envelope: its mailbox gives the chat and epoch, the chat's receive seed the header key.
   * No sender to check: only the peer holds the seed (the mailbox's MAC and the header's AEAD prove it).
   */
  private async sealedTo(envelope: Envelope, mailbox: string, body: Uint8Array): Promise<Classified> {
    const { db } = this.chats.ctx;
    let found = this.lookups.get(`m:${mailbox}`);
    if (!found) {
      const box = await db.mailboxes.get(mailbox);
      const row0 = box && (await db.secretChats.get(box.chatId));
      // Not ours (dropped, expired, or a relay's mistake): rejected and acknowledged.
      if (!box || !row0) throw new SecretError('unknown_chat', 'sealed envelope for a mailbox this device does not have');
      found = `${row0.id}\n${box.epoch}`;
      this.lookups.set(`m:${mailbox}`, found);
    }
    const [chatId, epoch] = found.split('\n');
    const open = (row: SecretChatRow, session: Session, keys: RecvHeaderKeys) => {
      const header = keys.get(session, Number(epoch));
      if (!header) throw new SecretError('wrong_sender', 'sealed envelope in a version-1 chat');
      const inner = unsealEnvelope(body, header);
      if (toHex(decodeEnvelope(inner).header.chatId) !== row.protoChatId) throw new SecretError('wrong_sender', 'sealed envelope of another chat');
      return inner;
    };
    return { chatId: chatId!, item: { envId: envelope.id, seq: envelope.seq, envelope, open } };
  }

  /** An envelope of a kind handled alone (see classify()). */
  private async handle(e: Envelope) {
    // Made by the relay itself, never by a client (see account-deleted.ts); its body is empty.
    if (e.notice === 'account_deleted') {
      if (!isAddressed(e)) throw new SecretError('malformed', 'account notice without a device');
      return endChatsWithDeletedAccount(this.chats, e);
    }
    const body = bodyOf(e);
    if (!isAddressed(e)) throw new SecretError('malformed', 'envelope without sender or mailbox');
    switch (body[1]) {
      case KIND_REQUEST:
        return this.handshake.onRequest(e, body);
      case KIND_ACCEPT:
        return this.handshake.onAccept(e, body);
      case KIND_REFUSE:
        return this.failures.onRefuse(e, body);
      default:
        throw new SecretError('malformed', 'unknown envelope kind');
    }
  }
}

function bodyOf(e: Envelope): Uint8Array {
  let body: Uint8Array;
  try {
    body = fromB64u(e.body);
  } catch {
    throw new SecretError('malformed', 'envelope is not base64url');
  }
  if (body.length < 2) throw new SecretError('malformed', 'envelope too short');
  return body;
}
