/**
 * Sending: a payload sealed as the next sequenced frame and queued in the same commit as its local
 * effects, then the send queue flushed to the relay oldest first; and the cumulative ACK frames.
 */
import { toB64u } from '$lib/api/b64';
import {
  ackFrame,
  dataFrame,
  encrypt,
  epochOf,
  inboxAck,
  inboxFromJSON,
  mailboxKeys,
  outboxFromJSON,
  outboxPush,
  outboxToJSON,
  SEQ_LIMITS,
  type Session
} from '$lib/crypto';
import type { SecretChatRow, SendQueueRow } from '$lib/store/db';
import { withLock } from '../locks';
import { isOutage, NetError } from '../net';
import { droppedFromBlocked, peerBlocked } from './blocked';
import type { Chats } from './chats';
import { NewerStateError, SecretError } from './errors';
import { APP_JSON, encodePayload, type SecretPayload } from './payload';
import { SEALED_WAIT_MS } from './mailboxes';
import { ratchet, readSession } from './ratchet';
import { resealRow, sealRow, sendKeys, wipeKeys, type EpochKeys } from './sealed';
import type { Commit, SecretState } from './state';
import { openState, wipeState } from './stored';

/**
 * An envelope for the chat's peer device, as the send queue keeps it: sealed for the peer's mailbox
 * when `keys` are given (a version-2 chat, see sealed.ts; the keys are wiped here).
 */
export function queueRow(row: SecretChatRow, envelope: Uint8Array, messageIds: string[] = [], keys: EpochKeys | null = null): SendQueueRow {
  const q: SendQueueRow = {
    id: crypto.randomUUID(),
    toDeviceId: row.peerDeviceId!,
    body: toB64u(envelope),
    requestId: null,
    chatId: row.id,
    messageIds,
    createdAt: Date.now()
  };
  if (!keys) return q;
  try {
    return sealRow(q, envelope, keys);
  } finally {
    wipeKeys(keys);
  }
}

/** Encrypts one application payload as the next sequenced frame. */
function sealPayload(session: Session, state: SecretState, payload: SecretPayload) {
  let kept = outboxFromJSON(state.outbox);
  // A long-offline peer: the relay holds every envelope durably, so the oldest unacknowledged
  // frames (kept only to answer resend requests) can go instead of refusing to send.
  if (kept.unacked.length >= SEQ_LIMITS.maxUnacked - 1) kept = { nextSeq: kept.nextSeq, unacked: kept.unacked.slice(-SEQ_LIMITS.maxUnacked / 2) };
  const pushed = outboxPush(kept, APP_JSON, encodePayload(payload));
  const ack = inboxAck(inboxFromJSON(state.inbox));
  const { session: next, envelope } = encrypt(session, dataFrame(pushed.item, ack), Date.now());
  state.outbox = outboxToJSON(pushed.outbox);
  state.ackSent = ack;
  return { session: next, envelope, keys: sendKeys(session) };
}

export class Outbound {
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  /** Set by the engine: a chat request the relay refused for good (failure.ts); `blocked`: because the peer blocked me. */
  onRequestRefused?: (chatId: string, deviceId: string, blocked: boolean) => Promise<void>;

  constructor(private readonly chats: Chats) {}

  /** Sends a payload in an established chat and runs `local` to build the matching local effects. */
  async send(
    chatId: string,
    build: SecretPayload | ((state: SecretState, at: number) => SecretPayload),
    local: (row: SecretChatRow, state: SecretState, at: number) => Promise<Partial<Commit>> = async () => ({})
  ): Promise<void> {
    await this.chats.locked(chatId, async () => {
      const { row, state } = await this.chats.load(chatId);
      if (row.status !== 'active' || !state.session)
        throw new SecretError('not_active', row.status === 'waiting' ? 'The secret chat is not established yet' : 'This secret chat was cancelled');
      // A message this send writes is timed here, under the lock: this device shows its messages in the
      // order they are sealed, which is the order the peer gets them in.
      let at: number;
      try {
        at = await this.chats.nextAt(chatId);
      } catch (e) {
        wipeState(state);
        throw e;
      }
      const payload = typeof build === 'function' ? build(state, at) : build;
      // Nothing goes to a peer I blocked (blocked.ts) but what only takes away: typing is not sent, the rest refused.
      if (droppedFromBlocked(payload) && (await peerBlocked(this.chats, row.peerId))) {
        wipeState(state);
        if (payload.k === 'typing') return;
        throw new SecretError('you_blocked', 'You blocked this user. Unblock them to write to them.');
      }
      const { envelope, keys } = await ratchet(state, (session) => sealPayload(session, state, payload));
      const queued = queueRow(row, envelope, payload.k === 'text' ? [payload.id] : [], keys);
      const extra = await local(row, state, at);
      await this.chats.commit(chatId, {
        ...extra,
        row: extra.row === undefined ? { ...row, lastAt: payload.k === 'text' ? at : row.lastAt } : extra.row,
        state,
        queue: [...(extra.queue ?? []), queued]
      });
    });
    this.chats.changed(chatId);
    void this.flush();
  }

  /** One cumulative ACK frame for each of these chats that has received data it has not acknowledged. */
  async sendAcks(chatIds: string[]): Promise<void> {
    for (const chatId of chatIds) {
      await this.chats
        .locked(chatId, async () => {
          const { row, state } = await this.chats.load(chatId);
          const ack = inboxAck(inboxFromJSON(state.inbox));
          if (row.status !== 'active' || !state.session || ack <= state.ackSent) return;
          const { envelope, keys } = await ratchet(state, (session) => ({ ...encrypt(session, ackFrame(ack), Date.now()), keys: sendKeys(session) }));
          state.ackSent = ack;
          await this.chats.commit(chatId, { row, state, queue: [queueRow(row, envelope, [], keys)] });
        })
        .catch((e) => console.warn('cinder secret: ack failed', e));
    }
  }

  /** Sends what the queue holds, oldest first; stops at the first network failure. */
  flush(): Promise<void> {
    if (this.flushing) {
      // Sends queued while a flush runs go out in another pass, not at the next unrelated event.
      this.flushAgain = true;
      return this.flushing;
    }
    let stalled = false;
    const { ctx } = this.chats;
    this.flushing = withLock('cinder-send-queue', () =>
      this.chats.gathered(async () => {
        const { db } = ctx;
        do {
          this.flushAgain = false;
          stalled = false;
          // Chats whose peer mailbox does not exist (yet): their later posts wait too, in order.
          const waiting = new Set<string>();
          for (const q of await db.sendQueue.orderBy('createdAt').toArray()) {
            if (waiting.has(q.chatId)) continue;
            try {
              await this.post(q);
            } catch (e) {
              if (isOutage(e)) {
                stalled = true;
                break;
              }
              // Sealing it again needs a state a newer version wrote: that version posts it (in order, so the chat's later posts wait too).
              if (e instanceof NewerStateError) {
                waiting.add(q.chatId);
                continue;
              }
              // A version-2 handshake's peer may not have registered its mailboxes yet (it has not
              // received the ACCEPT, or was offline for days): try again later, for a while.
              if (q.mailbox && e instanceof NetError && e.code === 'not_found' && Date.now() - q.createdAt < SEALED_WAIT_MS) {
                waiting.add(q.chatId);
                stalled = true;
                continue;
              }
              // Refused for good (the peer device was revoked, the body was too large): never retry.
              await db.transaction('rw', db.sendQueue, db.secretMessages, async () => {
                await db.sendQueue.delete(q.id);
                for (const id of q.messageIds) await db.secretMessages.update(id, { status: 'failed' });
              });
              // A chat request that can never reach that device: its handshake is over (failure.ts).
              if (q.requestId) await this.onRequestRefused?.(q.chatId, q.toDeviceId, e instanceof NetError && e.code === 'blocked').catch(() => undefined);
              this.chats.changed(q.chatId, q.messageIds);
              continue;
            }
            await db.transaction('rw', db.sendQueue, db.secretMessages, async () => {
              await db.sendQueue.delete(q.id);
              for (const id of q.messageIds) {
                const m = await db.secretMessages.get(id);
                if (m?.status === 'pending') await db.secretMessages.update(id, { status: 'sent' });
              }
            });
            if (q.messageIds.length) this.chats.changed(q.chatId, q.messageIds);
          }
        } while (this.flushAgain);
      })
    ).finally(() => {
      this.flushing = null;
      // Nothing else would try again before the next send or reconnect: the owner schedules a retry.
      if (stalled) ctx.sendStalled?.();
    });
    return this.flushing;
  }

  /** Posts one queued envelope: sealed and anonymous in a version-2 chat, else as this device. */
  private async post(q: SendQueueRow): Promise<void> {
    const { relay, mailboxes } = this.chats;
    // A version-2 handshake step: the peer answers to our mailboxes, so they exist before it can.
    if (q.register)
      await mailboxes.register(q.chatId).catch((e: unknown) => {
        if (isOutage(e)) throw e;
        console.warn('cinder secret: mailbox registration refused', e);
      });
    if (!q.mailbox) return relay.send({ id: q.id, toDeviceId: q.toDeviceId, body: q.body, ...(q.requestId ? { requestId: q.requestId } : {}) });
    const sealed = q.epoch !== undefined && q.epoch < epochOf(Date.now()) - 1 ? await this.reseal(q) : q;
    if (!sealed) return; // the chat is gone: nothing to post
    await relay.sendSealed({ id: sealed.id, mailbox: sealed.mailbox!, body: sealed.body, mac: sealed.mac! });
  }

  /**
   * A post queued so long ago that its mailbox has expired at the relay (a day after its epoch):
   * sealed again for the current epoch's mailbox and stored so. Null if the chat has no session any more.
   */
  private async reseal(q: SendQueueRow): Promise<SendQueueRow | null> {
    const { ctx } = this.chats;
    const row = await ctx.db.secretChats.get(q.chatId);
    if (!row?.box.length) return null;
    const { state } = await openState(ctx.vault, q.chatId, row.box);
    try {
      if (!state.session) return null;
      const next = readSession(state.session, (session) => {
        const fresh = sendKeys(session);
        const old = session.seal ? { epoch: q.epoch!, ...mailboxKeys(session.seal.send, q.epoch!) } : null;
        try {
          return fresh && old ? resealRow(q, old, fresh) : null;
        } finally {
          wipeKeys(fresh);
          wipeKeys(old);
        }
      });
      if (next) await ctx.db.sendQueue.put(next);
      return next;
    } finally {
      wipeState(state);
    }
  }
}
