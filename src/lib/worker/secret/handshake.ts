/**
 * Starting a secret chat: one signed request per device of the peer, the one device that claims it
 * accepts, and the initiator completes the handshake and confirms the key at once.
 */
import type { AddressedEnvelope } from '$lib/api/wire';
import { fromB64u, toB64u } from '$lib/api/b64';
import {
  acceptRequest,
  ackFrame,
  completeHandshake,
  createRequest,
  deserializePending,
  encrypt,
  fingerprint,
  ProtocolError,
  serializePending,
  serializeSession,
  toHex,
  zeroizePending,
  zeroizeSession
} from '$lib/crypto';
import { parseAccept } from '$lib/crypto/handshake';
import type { SecretChatRow, SendQueueRow } from '$lib/store/db';
import { NetError } from '../net';
import { peerBlocked } from './blocked';
import type { Chats } from './chats';
import { SecretError } from './errors';
import { encodeRefusal, refusalRow } from './failure';
import { queueRow, type Outbound } from './outbound';
import { ratchet } from './ratchet';
import { sendKeys } from './sealed';
import { newState, type SecretState } from './state';
import { pendingTarget } from './pending-target';
import { dropPendings } from './stored';

export class Handshake {
  constructor(
    private readonly chats: Chats,
    private readonly out: Outbound
  ) {}

  /**
   * Pinned trust, read only (the flags are saved in the chat's own commit). A key this user verified
   * before (on any device id) is verified again; the verified device with another key is flagged
   * keyChanged; another device of a user verified before is flagged newDevice. Trust pinned for another
   * user never counts: the relay, not the key, says whose device it is. A mismatch never erases trust.
   */
  private async applyTrust(state: SecretState, userId: string, deviceId: string, signPub: Uint8Array) {
    const { db } = this.chats.ctx;
    const key = toHex(signPub);
    const pinned = await db.trustPins.where('userId').equals(userId).toArray();
    state.verifiedByMe = pinned.some((t) => t.signPub === key);
    state.keyChanged = !state.verifiedByMe && pinned.some((t) => t.deviceId === deviceId);
    state.newDevice = !state.verifiedByMe && !state.keyChanged && pinned.length > 0;
  }

  /** "Start Secret Chat": one signed request per device of the peer; the first device to accept owns it. */
  async start(peerId: string): Promise<string> {
    const { ctx, relay } = this.chats;
    // The relay would refuse it too (403 you_blocked): said before anything is made.
    if (await peerBlocked(this.chats, peerId)) throw new SecretError('you_blocked', 'You blocked this user. Unblock them to start a secret chat.');
    const user = await relay.user(peerId);
    const devices = await relay.devices(peerId);
    if (!devices.length) throw new SecretError('no_devices', `${user.displayName} has no device that can take a secret chat`);
    const identity = await ctx.identity();
    const id = crypto.randomUUID();
    const now = Date.now();
    const state = newState();
    const queue: SendQueueRow[] = [];
    for (const d of devices) {
      // Sealed addressing with a device that speaks it (protocol 2); version 1 with any other.
      const version = d.protocol >= 2 ? 2 : 1;
      const { request: req, pending } = await createRequest(await ctx.backend(), identity, { signPub: fromB64u(d.signPub), dhPub: fromB64u(d.dhPub) }, { version });
      state.pendings.push({ deviceId: d.id, protoChatId: toHex(pending.chatId), pending: serializePending(pending) });
      zeroizePending(pending);
      queue.push({ id: crypto.randomUUID(), toDeviceId: d.id, body: toB64u(req), requestId: id, chatId: id, messageIds: [], createdAt: now });
    }
    const row: SecretChatRow = {
      id,
      peerId: user.id,
      peer: user,
      role: 'initiator',
      status: 'waiting',
      // protoChatId is left out until established: it is indexed, so never null.
      peerDeviceId: null,
      createdAt: now,
      lastAt: now,
      cancelledBy: null,
      box: new Uint8Array()
    };
    await this.chats.commit(id, { row, state, queue });
    this.chats.changed(id);
    void this.out.flush();
    return id;
  }

  /** A peer's request reached this device: claim it, accept it, and queue the accept. */
  async onRequest(env: AddressedEnvelope, body: Uint8Array) {
    const { ctx, relay } = this.chats;
    const requestId = env.requestId;
    if (!requestId) throw new SecretError('malformed', 'request without request id');
    if (await ctx.db.secretChats.get(requestId)) return; // seen before a lost ack
    // From a user I blocked (queued before the block reached the relay): left unclaimed, never accepted (blocked.ts).
    if (await peerBlocked(this.chats, env.fromUserId)) return;
    // The relay lets exactly one of the peer's devices own the chat; the others drop the request.
    try {
      await relay.claim(requestId);
    } catch (e) {
      if (e instanceof NetError && (e.code === 'conflict' || e.code === 'not_found' || e.code === 'gone')) return;
      throw e;
    }
    const [user, devices] = await Promise.all([relay.user(env.fromUserId), relay.devices(env.fromUserId)]);
    const device = devices.find((d) => d.id === env.fromDeviceId);
    const identity = await ctx.identity();
    let accepted: Awaited<ReturnType<typeof acceptRequest>>;
    try {
      if (!device) throw new SecretError('identity_mismatch', 'request from an unknown device');
      accepted = await acceptRequest(await ctx.backend(), identity, body, {
        expectedPeer: { signPub: fromB64u(device.signPub), dhPub: fromB64u(device.dhPub) }
      });
    } catch (e) {
      // This device holds the claim, so no other device of ours can accept: tell the requester (failure.ts).
      await this.refuse(env, body, e instanceof ProtocolError && e.code === 'bad_version' ? 'unsupported' : 'refused');
      throw e;
    }
    const { accept, session } = accepted;
    const sealed = session.seal !== null;
    const now = Date.now();
    const state = newState();
    state.session = serializeSession(session);
    state.fingerprint = toB64u(fingerprint(session));
    await this.applyTrust(state, user.id, device.id, session.remoteIdentity.signPub);
    const row: SecretChatRow = {
      id: requestId,
      peerId: user.id,
      peer: user,
      role: 'acceptor',
      status: 'active',
      protoChatId: toHex(session.chatId),
      peerDeviceId: device.id,
      createdAt: now,
      lastAt: now,
      cancelledBy: null,
      box: new Uint8Array()
    };
    zeroizeSession(session);
    await this.chats.locked(requestId, async () => {
      if (await ctx.db.secretChats.get(requestId)) return;
      await this.chats.commit(requestId, {
        row,
        state,
        put: [
          this.chats.messageRow(requestId, crypto.randomUUID(), now, false, {
            kind: 'service',
            text: '',
            replyTo: null,
            ttl: 0,
            service: 'established',
            by: 'peer'
          })
        ],
        // Version 2: our mailboxes are registered before the ACCEPT goes, so the peer's first post finds them.
        queue: [
          {
            id: crypto.randomUUID(),
            toDeviceId: device.id,
            body: toB64u(accept),
            requestId: null,
            chatId: requestId,
            messageIds: [],
            createdAt: now,
            ...(sealed ? { register: true as const } : {})
          }
        ],
        seen: { id: env.id, seq: env.seq }
      });
    });
    this.chats.changed(requestId);
  }

  /** Sends a REFUSE back for a claimed request this device cannot accept; the request counts as handled. */
  private async refuse(env: AddressedEnvelope, body: Uint8Array, reason: 'refused' | 'unsupported') {
    const refusal = encodeRefusal(body, reason);
    if (!refusal) return;
    await this.chats.commit(env.requestId!, { queue: [refusalRow(env.requestId!, env.fromDeviceId, refusal)], seen: { id: env.id, seq: env.seq } });
    void this.out.flush();
  }

  /** The peer's device accepted one of our requests: complete the handshake, confirm the key. */
  async onAccept(env: AddressedEnvelope, body: Uint8Array) {
    const { ctx } = this.chats;
    const acc = parseAccept(body);
    const protoChatId = toHex(acc.chatId);
    const chatId = (await pendingTarget(this.chats, env, protoChatId, 'accept')).id;
    await this.chats.locked(chatId, async () => {
      const { row, state } = await this.chats.load(chatId);
      if (row.status !== 'waiting') return;
      const p = state.pendings.find((x) => x.protoChatId === protoChatId && x.deviceId === env.fromDeviceId);
      if (!p) return;
      const pending = deserializePending(p.pending);
      const session = await completeHandshake(await ctx.backend(), await ctx.identity(), pending, body);
      zeroizePending(pending);
      state.fingerprint = toB64u(fingerprint(session));
      dropPendings(state);
      await this.applyTrust(state, row.peerId, env.fromDeviceId, session.remoteIdentity.signPub);
      // Confirm the key at once so the acceptor learns we derived the same one.
      const { envelope, keys } = await ratchet(state, (s) => ({ ...encrypt(s, ackFrame(0), Date.now()), keys: sendKeys(s) }), session);
      const now = Date.now();
      const active: SecretChatRow = { ...row, status: 'active', protoChatId, peerDeviceId: env.fromDeviceId, lastAt: now };
      // Version 2: sealed for the peer's mailbox, and ours registered before it goes (the peer answers there).
      const confirm = queueRow(active, envelope, [], keys);
      await this.chats.commit(chatId, {
        row: active,
        state,
        put: [this.chats.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'established', by: 'peer' })],
        queue: [keys ? { ...confirm, register: true } : confirm],
        seen: { id: env.id, seq: env.seq }
      });
    });
    this.chats.changed(chatId);
  }
}
