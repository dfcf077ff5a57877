/**
 * Receiving: relay envelopes pulled in queue order, each handled once (a request, an accept or a
 * ratchet message), its effects committed with it marked seen, and only then acknowledged to the
 * relay, so a crash between decrypt and save loses nothing: the envelope comes back.
 */
import { fromB64u } from '$lib/api/b64';
import { isAddressed, LIMITS, type AddressedEnvelope, type Envelope } from '$lib/api/wire';
import {
  dataFrame,
  decodeEnvelope,
  decrypt,
  encrypt,
  FrameType,
  inboxAck,
  inboxFromJSON,
  inboxReceive,
  inboxToJSON,
  outboxAck,
  outboxFromJSON,
  outboxResend,
  outboxToJSON,
  parseResend,
  resendFrame,
  toHex,
  zeroizeSession,
  unsealEnvelope,
  type Frame,
  type Session
} from '$lib/crypto';
import type { SecretChatRow } from '$lib/store/db';
import { withLock } from '../locks';
import { NetError } from '../net';
import { endChatsWithDeletedAccount } from './account-deleted';
import { applyPayload } from './apply';
import type { Chats } from './chats';
import { recordRejection } from './diagnostics';
import { SecretError, StoreFailure } from './errors';
import { KIND_REFUSE, type Failures } from './failure';
import type { Handshake } from './handshake';
import { queueRow, type Outbound } from './outbound';
import { APP_JSON, decodePayload } from './payload';
import { ratchet } from './ratchet';
import { recvKeys, sendKeys, wipeKeys, type EpochKeys } from './sealed';
import type { Commit, Effects, Received, SecretState } from './state';
import { dropPendings } from './stored';

const KIND_REQUEST = 0x01;
const KIND_ACCEPT = 0x02;
const KIND_MESSAGE = 0x03;

const SEEN_KEEP_MS = 8 * 86400_000;

/** The highest seq a receive run handled and acknowledged (see live()); kept beside its result. */
const runUpTo = new WeakMap<Received, number>();

export class Inbound {
  private inbound = Promise.resolve();
  private received: Received = { chats: new Map() };
  private ackDue = new Set<string>();
  private pulling: Promise<Received> | null = null;
  private pullAgain = false;
  private retryMs = 0;
  /** Set by the engine: where the chats owing an ACK go (the receipt batches, receipts.ts); sent at once otherwise. */
  onAcksDue: (chatIds: string[]) => Promise<void> | void = (chatIds) => this.out.sendAcks(chatIds);
  /** Every envelope of this device's queue up to this seq is handled (pulled in order, or live). */
  private handledUpTo = 0;
  private liveChain: Promise<unknown> = Promise.resolve();

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
          await db.seenEnvelopes
            .where('at')
            .below(Date.now() - SEEN_KEEP_MS)
            .delete();
          // Only this run records envelopes as seen (it holds the lock every receiver takes).
          const seen = await db.seenEnvelopes.bulkGet(envelopes.map((e) => e.id));
          let upTo = 0;
          let failed: StoreFailure | null = null;
          for (const [i, env] of envelopes.entries()) {
            if (seen[i]) {
              upTo = env.seq;
              continue;
            }
            try {
              await this.handle(env);
              // A frame that changed nothing (e.g. for a cancelled chat) was not committed with it.
              if (this.chats.lastSeenCommitted !== env.id) await db.seenEnvelopes.put({ id: env.id, at: Date.now() });
            } catch (e) {
              if (e instanceof NetError && e.code === 'offline') break; // keep it on the relay, retry later
              if (e instanceof StoreFailure) {
                // Not the sender's fault: unacknowledged, it comes back (this run stops here, in order).
                failed = e;
                break;
              }
              await recordRejection(this.chats.ctx, e);
            }
            upTo = env.seq;
          }
          // The peer may forget what we now hold: one cumulative ACK per chat after the batch.
          const due = [...this.ackDue];
          this.ackDue.clear();
          await this.onAcksDue(due);
          if (upTo) await this.chats.relay.ack(upTo).catch(() => undefined);
          void this.out.flush();
          if (failed) {
            console.warn('cinder secret: a received message could not be stored; it stays on the relay', failed.cause);
            this.retryLater();
            throw failed;
          }
          this.retryMs = 0;
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

  /** After a store failure nothing else may pull soon: pull again in 2 s, doubling up to a minute. */
  private retryLater() {
    this.retryMs = Math.min(60_000, this.retryMs ? this.retryMs * 2 : 2000);
    setTimeout(() => void this.pull().catch(() => undefined), this.retryMs);
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
      do {
        this.pullAgain = false;
        let after = 0;
        // From the queue's start, page after page: handled up to the last seq while no page stopped short.
        let whole = true;
        for (;;) {
          const envelopes = await this.chats.relay.pull(after, LIMITS.pageMax);
          if (!envelopes.length) break;
          const got = await this.receive(envelopes);
          for (const [chatId, n] of got.chats) total.chats.set(chatId, (total.chats.get(chatId) ?? 0) + n);
          after = envelopes[envelopes.length - 1].seq;
          whole &&= runUpTo.get(got) === after;
          if (whole) this.handledUpTo = Math.max(this.handledUpTo, after);
          if (envelopes.length < LIMITS.pageMax) break;
        }
      } while (this.pullAgain);
      return total;
    })().finally(() => (this.pulling = null));
    return this.pulling;
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

  private async handle(e: Envelope) {
    // Made by the relay itself, never by a client (see account-deleted.ts); its body is empty.
    if (e.notice === 'account_deleted') {
      if (!isAddressed(e)) throw new SecretError('malformed', 'account notice without a device');
      return endChatsWithDeletedAccount(this.chats, e);
    }
    let body: Uint8Array;
    try {
      body = fromB64u(e.body);
    } catch {
      throw new SecretError('malformed', 'envelope is not base64url');
    }
    if (body.length < 2) throw new SecretError('malformed', 'envelope too short');
    // A sealed post (protocol 2) names no sender: its mailbox says which chat it is for.
    if (e.mailbox) return this.onSealed(e.mailbox, e.id, body);
    if (!isAddressed(e)) throw new SecretError('malformed', 'envelope without sender or mailbox');
    switch (body[1]) {
      case KIND_REQUEST:
        return this.handshake.onRequest(e, body);
      case KIND_ACCEPT:
        return this.handshake.onAccept(e, body);
      case KIND_MESSAGE:
        return this.onMessage(e, body);
      case KIND_REFUSE:
        return this.failures.onRefuse(e, body);
      default:
        throw new SecretError('malformed', 'unknown envelope kind');
    }
  }

  private async onMessage(env: AddressedEnvelope, body: Uint8Array) {
    const { ctx } = this.chats;
    const { header } = decodeEnvelope(body);
    const row0 = await ctx.db.secretChats.where('protoChatId').equals(toHex(header.chatId)).first();
    if (!row0) throw new SecretError('unknown_chat', 'envelope for a chat this device does not have');
    if (row0.peerDeviceId !== env.fromDeviceId) throw new SecretError('wrong_sender', 'envelope from a device that is not in this chat');
    if (row0.status !== 'active') return;
    await this.decryptInto(row0.id, env.id, () => body);
  }

  /**
   * A sealed envelope: its mailbox gives the chat and epoch, the chat's receive seed the header key.
   * No sender to check: only the peer holds the seed (the mailbox's MAC and the header's AEAD prove it).
   */
  private async onSealed(mailbox: string, envId: string, body: Uint8Array) {
    const { db } = this.chats.ctx;
    const box = await db.mailboxes.get(mailbox);
    const row0 = box && (await db.secretChats.get(box.chatId));
    // Not ours (dropped, expired, or a relay's mistake): rejected and acknowledged.
    if (!box || !row0) throw new SecretError('unknown_chat', 'sealed envelope for a mailbox this device does not have');
    if (row0.status !== 'active') return;
    await this.decryptInto(row0.id, envId, (row, session) => {
      const keys = recvKeys(session, box.epoch);
      if (!keys) throw new SecretError('wrong_sender', 'sealed envelope in a version-1 chat');
      let inner: Uint8Array;
      try {
        inner = unsealEnvelope(body, keys.header);
      } finally {
        wipeKeys(keys);
      }
      if (toHex(decodeEnvelope(inner).header.chatId) !== row.protoChatId) throw new SecretError('wrong_sender', 'sealed envelope of another chat');
      return inner;
    });
  }

  /** Decrypts a ratchet envelope (`open` gives its version-1 bytes) in a chat, under its lock, and commits what it does. */
  private async decryptInto(chatId: string, envId: string, open: (row: SecretChatRow, session: Session) => Uint8Array) {
    const { ctx } = this.chats;
    await this.chats.locked(chatId, async () => {
      const { row, state } = await this.chats.load(chatId);
      if (row.status !== 'active' || !state.session) return;
      const backend = await ctx.backend();
      const { effects } = await ratchet(state, async (session) => {
        const { session: afterDecrypt, frame } = await decrypt(backend, session, open(row, session), Date.now());
        return this.onFrame(row, state, afterDecrypt, frame);
      });
      await this.chats.commit(chatId, { ...effects, seen: envId });
    });
    this.chats.changed(chatId);
  }

  /**
   * Applies one decrypted frame: ordering first, then the payloads it releases, in order. Returns the
   * session after the frames it sends back (resends, resend requests), or null if the chat ended.
   */
  private async onFrame(row: SecretChatRow, state: SecretState, session: Session, frame: Frame): Promise<{ session: Session | null; effects: Commit }> {
    const outbox = outboxAck(outboxFromJSON(state.outbox), frame.ack);
    let inbox = inboxFromJSON(state.inbox);
    const envelopes: { envelope: Uint8Array; keys: EpochKeys | null }[] = [];
    const c: Effects = { row, state, put: [], remove: [], updates: [] };
    let sess = session;
    const out = (f: Frame) => {
      const r = encrypt(sess, f, Date.now());
      zeroizeSession(sess);
      sess = r.session;
      envelopes.push({ envelope: r.envelope, keys: sendKeys(sess) });
    };

    if (frame.type === FrameType.RESEND) {
      for (const item of outboxResend(outbox, parseResend(frame))) out(dataFrame(item, inboxAck(inbox)));
    } else if (frame.type !== FrameType.ACK) {
      const r = inboxReceive(inbox, frame);
      inbox = r.inbox;
      for (const range of r.resend) out(resendFrame(range, inboxAck(inbox)));
      for (const item of r.release) {
        const payload = item.type === APP_JSON ? decodePayload(item.payload) : null;
        if (!payload) {
          await recordRejection(this.chats.ctx, new SecretError('bad_payload', 'peer sent an unreadable payload'));
          continue;
        }
        await applyPayload(this.chats, c, payload, this.received);
      }
      // The peer may forget what we now hold: one cumulative ACK after the batch (see receive).
      if (inboxAck(inbox) > state.ackSent) this.ackDue.add(row.id);
    }
    state.inbox = inboxToJSON(inbox);
    state.outbox = outboxToJSON(outbox);
    if (c.row && c.row.status === 'active') {
      c.queue = envelopes.map((e) => queueRow(row, e.envelope, [], e.keys));
      return { session: sess, effects: c };
    }
    for (const e of envelopes) wipeKeys(e.keys);
    // The peer cancelled: the keys go now, nothing more is sent in this chat.
    zeroizeSession(sess);
    dropPendings(state);
    return { session: null, effects: c };
  }
}
