/**
 * Sending: a payload sealed as the next sequenced frame and queued in the same commit as its local
 * effects, then the send queue flushed to the relay oldest first; and the cumulative ACK frames.
 */
import { toB64u } from '$lib/api/b64';
import { ackFrame, dataFrame, encrypt, inboxAck, inboxFromJSON, outboxFromJSON, outboxPush, outboxToJSON, SEQ_LIMITS, type Session } from '$lib/crypto';
import type { SecretChatRow, SendQueueRow } from '$lib/store/db';
import { withLock } from '../locks';
import { NetError } from '../net';
import type { Chats } from './chats';
import { SecretError } from './errors';
import { APP_JSON, encodePayload, type SecretPayload } from './payload';
import { ratchet } from './ratchet';
import type { Commit, SecretState } from './state';

/** An envelope for the chat's peer device, as the send queue keeps it. */
export function queueRow(row: SecretChatRow, envelope: Uint8Array, messageIds: string[] = []): SendQueueRow {
  return { id: crypto.randomUUID(), toDeviceId: row.peerDeviceId!, body: toB64u(envelope), requestId: null, chatId: row.id, messageIds, createdAt: Date.now() };
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
  return { session: next, envelope };
}

export class Outbound {
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  /** Set by the engine: a chat request the relay refused for good (failure.ts). */
  onRequestRefused?: (chatId: string, deviceId: string) => Promise<void>;

  constructor(private readonly chats: Chats) {}

  /** Sends a payload in an established chat and runs `local` to build the matching local effects. */
  async send(
    chatId: string,
    build: SecretPayload | ((state: SecretState) => SecretPayload),
    local: (row: SecretChatRow, state: SecretState) => Promise<Partial<Commit>> = async () => ({})
  ): Promise<void> {
    await this.chats.locked(chatId, async () => {
      const { row, state } = await this.chats.load(chatId);
      if (row.status !== 'active' || !state.session)
        throw new SecretError('not_active', row.status === 'waiting' ? 'The secret chat is not established yet' : 'This secret chat was cancelled');
      const payload = typeof build === 'function' ? build(state) : build;
      const { envelope } = await ratchet(state, (session) => sealPayload(session, state, payload));
      const extra = await local(row, state);
      const messageIds = payload.k === 'text' ? [payload.id] : [];
      await this.chats.commit(chatId, {
        ...extra,
        row: extra.row === undefined ? { ...row, lastAt: payload.k === 'text' ? Date.now() : row.lastAt } : extra.row,
        state,
        queue: [...(extra.queue ?? []), queueRow(row, envelope, messageIds)]
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
          const { envelope } = await ratchet(state, (session) => encrypt(session, ackFrame(ack), Date.now()));
          state.ackSent = ack;
          await this.chats.commit(chatId, { row, state, queue: [queueRow(row, envelope)] });
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
    const { ctx, relay } = this.chats;
    this.flushing = withLock('cinder-send-queue', () =>
      this.chats.gathered(async () => {
        const { db } = ctx;
        do {
          this.flushAgain = false;
          stalled = false;
          for (const q of await db.sendQueue.orderBy('createdAt').toArray()) {
            try {
              await relay.send({ id: q.id, toDeviceId: q.toDeviceId, body: q.body, ...(q.requestId ? { requestId: q.requestId } : {}) });
            } catch (e) {
              if (e instanceof NetError && (e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500 || e.code === 'unauthorized')) {
                stalled = true;
                break;
              }
              // Refused for good (the peer device was revoked, the body was too large): never retry.
              await db.transaction('rw', db.sendQueue, db.secretMessages, async () => {
                await db.sendQueue.delete(q.id);
                for (const id of q.messageIds) await db.secretMessages.update(id, { status: 'failed' });
              });
              // A chat request that can never reach that device: its handshake is over (failure.ts).
              if (q.requestId) await this.onRequestRefused?.(q.chatId, q.toDeviceId).catch(() => undefined);
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
}
