/**
 * Secret chats on this device: the handshake through the relay's queue, the Double Ratchet per
 * message, ordering and resend, and what the peer's frames ask us to do.
 *
 * Every change to a chat's cryptographic state happens under that chat's lock (a Web Lock, shared
 * by the page's worker and the service worker) and is committed in ONE Dexie transaction together
 * with its effects (messages stored, envelopes queued). A crash between decrypt and save therefore
 * loses nothing: the envelope is acknowledged to the relay only after the commit, so it comes back.
 */
import { fromB64u, toB64u } from '$lib/api/b64';
import { LIMITS, type Envelope } from '$lib/api/wire';
import {
  acceptRequest,
  completeHandshake,
  createRequest,
  decodeEnvelope,
  decrypt,
  deserializePending,
  deserializeSession,
  encrypt,
  fingerprint,
  FrameType,
  inboxAck,
  inboxFromJSON,
  inboxReceive,
  inboxToJSON,
  isProtocolError,
  newInbox,
  newOutbox,
  outboxAck,
  outboxFromJSON,
  outboxPush,
  outboxResend,
  outboxToJSON,
  parseResend,
  serializePending,
  serializeSession,
  toHex,
  zeroizePending,
  zeroizeSession,
  ackFrame,
  dataFrame,
  resendFrame,
  SEQ_LIMITS,
  type CryptoBackend,
  type Frame,
  type Identity,
  type Session
} from '$lib/crypto';
import { parseAccept } from '$lib/crypto/handshake';
import type { CinderDB, SecretChatRow, SecretMediaRow, SecretMessageRow, SendQueueRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { places } from '$lib/store/places';
import { withLock } from '../locks';
import { NetError } from '../net';
import type { WorkerEvent } from '../protocol';
import { decryptFile, encryptFile } from '../media';
import { httpRelay, type SecretRelay } from './relay';
import { APP_JSON, decodePayload, encodePayload, type FileRef, type SecretBody, type SecretPayload } from './payload';
import { emptyDiagnostics, SecretError, type Diagnostics } from './errors';
export { emptyDiagnostics, SecretError, type Diagnostics };

const KIND_REQUEST = 0x01;
const KIND_ACCEPT = 0x02;
const KIND_MESSAGE = 0x03;

export interface SecretState {
  v: 1;
  session: string | null;
  pendings: { deviceId: string; protoChatId: string; pending: string }[];
  inbox: ReturnType<typeof inboxToJSON>;
  outbox: ReturnType<typeof outboxToJSON>;
  fingerprint: string | null;
  /** Timer for messages I send from now on (seconds). */
  ttl: number;
  /** Highest peer seq we have acknowledged in an outgoing frame. */
  ackSent: number;
  /** I verified the peer device's key (scan, in person, or pinned from an earlier chat). */
  verifiedByMe: boolean;
  /** The peer told us (inside the channel) that it verified our key. */
  verifiedByPeer: boolean;
  /** The peer device's key differs from the one this user verified before. */
  keyChanged: boolean;
}

export interface SecretContext {
  db: CinderDB;
  vault: Vault;
  /** Resolved on first use: feature-testing WebCrypto need not delay the first screen. */
  backend(): Promise<CryptoBackend>;
  identity(): Promise<Identity>;
  me(): { userId: string; deviceId: string };
  emit(e: WorkerEvent): void;
  /** A flush stopped on a failure worth retrying (offline, 429, 5xx) with envelopes still queued. */
  sendStalled?(): void;
  /** How the engine reaches the relay; the relay over HTTP (httpRelay) when not given. */
  relay?: SecretRelay;
}

/** What one locked step wants committed. */
interface Commit {
  row?: SecretChatRow | null;
  state?: SecretState;
  put?: { row: SecretMessageRow }[];
  remove?: string[];
  clearChat?: boolean;
  queue?: SendQueueRow[];
  media?: SecretMediaRow[];
  /** A `deadline: undefined` change removes the property (Dexie's update()); it is never set to null. */
  updates?: { id: string; changes: Partial<Pick<SecretMessageRow, 'status' | 'deadline'>> }[];
  /** The relay envelope these effects came from: recorded as seen in the same transaction. */
  seen?: string;
}

export const statePlace = places.secretChat;
export const secretMsgPlace = places.secretMessage;
export const mediaPlace = places.secretMedia;


const newState = (): SecretState => ({
  v: 1,
  session: null,
  pendings: [],
  inbox: inboxToJSON(newInbox()),
  outbox: outboxToJSON(newOutbox()),
  fingerprint: null,
  ttl: 0,
  ackSent: 0,
  verifiedByMe: false,
  verifiedByPeer: false,
  keyChanged: false
});

/** What one receive run brought: chats with new incoming messages (for notifications). */
export interface Received {
  chats: Map<string, number>;
}

const SEEN_KEEP_MS = 8 * 86400_000;
const ANNOUNCE_MS = 250;

export class SecretEngine {
  private inbound = Promise.resolve();
  private flushing: Promise<void> | null = null;
  /** The last relay envelope a commit recorded as seen together with its effects. */
  private lastSeenCommitted: string | null = null;
  /** While a receive run or a flush is going: chats changed but not yet announced (see changed()). */
  private unannounced: Set<string> | null = null;
  private announcedAt = 0;
  private gathering = 0;
  private received: Received = { chats: new Map() };
  private ackDue = new Set<string>();
  private pulling: Promise<Received> | null = null;
  private pullAgain = false;
  private flushAgain = false;

  private readonly relay: SecretRelay;

  constructor(private readonly ctx: SecretContext) {
    this.relay = ctx.relay ?? httpRelay;
  }

  // ---------- state ----------

  private async load(id: string): Promise<{ row: SecretChatRow; state: SecretState }> {
    const row = await this.ctx.db.secretChats.get(id);
    if (!row) throw new SecretError('not_found', 'This secret chat does not exist on this device');
    const state = await this.ctx.vault.open<SecretState>(statePlace(id), row.box);
    if (state?.v !== 1) throw new SecretError('bad_state', 'Secret chat state is unreadable');
    return { row, state };
  }

  private async commit(chatId: string, c: Commit): Promise<void> {
    const { db, vault } = this.ctx;
    const row = c.row ? { ...c.row } : c.row;
    if (row && c.state) row.box = await vault.seal(statePlace(row.id), c.state);
    await db.transaction('rw', [db.secretChats, db.secretMessages, db.sendQueue, db.seenEnvelopes], async () => {
      if (c.seen) await db.seenEnvelopes.put({ id: c.seen, at: Date.now() });
      if (row === null) await db.secretChats.delete(chatId);
      else if (row) await db.secretChats.put(row);
      if (c.clearChat) await db.secretMessages.where('[chatId+at]').between([chatId, -Infinity], [chatId, Infinity]).delete();
      if (c.remove?.length) await db.secretMessages.bulkDelete(c.remove);
      for (const p of c.put ?? []) await db.secretMessages.put(p.row);
      for (const u of c.updates ?? []) await db.secretMessages.update(u.id, u.changes);
      if (c.queue?.length) await db.sendQueue.bulkPut(c.queue);
    });
    if (c.seen) this.lastSeenCommitted = c.seen;
    // The relay wakes this device at each new deadline (it learns only the times).
    // The relay takes at most 100 times per call, each within 8 days (later ones are purged on start).
    const horizon = Date.now() + 8 * 86400_000 - 60_000;
    const at = (c.updates ?? []).map((u) => u.changes.deadline).filter((d): d is number => !!d && d > Date.now() && d < horizon);
    for (let i = 0; i < at.length; i += 100) void this.relay.wakeAt(at.slice(i, i + 100)).catch(() => undefined);
  }

  private async messageRow(chatId: string, id: string, at: number, mine: boolean, body: SecretBody, status: SecretMessageRow['status'] = 'sent'): Promise<{ row: SecretMessageRow }> {
    const ttl = body.kind === 'text' ? body.ttl : 0;
    // Service notices are never "unread": they count neither as unread nor for read receipts.
    if (body.kind === 'service') status = 'read';
    const blobId = body.file?.blobId || null;
    // No deadline property until the timer starts: it is indexed, so never null (see upgrade-nulls.ts).
    return { row: { id, chatId, at, mine, status, ttl, blobId, box: await this.ctx.vault.seal(secretMsgPlace(id), body) } };
  }

  /**
   * Tells the page (and the purge timer) that a chat changed. During a receive run or a flush the
   * news is gathered and given at most every ANNOUNCE_MS and at the end: a backlog of 1,000 envelopes
   * would otherwise re-render the open screen and re-arm the purge timer 1,000 times.
   */
  private changed(chatId: string) {
    if (this.unannounced) {
      this.unannounced.add(chatId);
      if (Date.now() - this.announcedAt >= ANNOUNCE_MS) this.announce();
      return;
    }
    this.ctx.emit({ type: 'secret', chatId });
    this.ctx.emit({ type: 'chats' });
  }

  private async gathered<T>(run: () => Promise<T>): Promise<T> {
    if (this.gathering++ === 0) {
      this.unannounced = new Set();
      this.announcedAt = Date.now();
    }
    try {
      return await run();
    } finally {
      this.announce();
      if (--this.gathering === 0) this.unannounced = null;
    }
  }

  private announce() {
    const chats = this.unannounced;
    if (!chats?.size) return;
    this.unannounced = new Set();
    this.announcedAt = Date.now();
    for (const chatId of chats) this.ctx.emit({ type: 'secret', chatId });
    this.ctx.emit({ type: 'chats' });
  }

  /** Pinned trust: a device verified once stays verified for later chats while its key is the same. */
  private async applyTrust(state: SecretState, deviceId: string, signPub: Uint8Array) {
    const pinned = await this.ctx.db.trust.get(deviceId);
    if (!pinned) return;
    if (pinned.signPub === toHex(signPub)) state.verifiedByMe = true;
    else {
      state.keyChanged = true;
      await this.ctx.db.trust.delete(deviceId);
    }
  }

  /** The user compared keys (scan or in person): pin the peer device and tell the peer. */
  async verify(chatId: string): Promise<void> {
    const { row, state } = await this.load(chatId);
    if (row.status !== 'active' || !state.session || !row.peerDeviceId) throw new SecretError('not_active', 'Only an established secret chat can be verified');
    const session = deserializeSession(fromB64u(state.session));
    const signPub = toHex(session.remoteIdentity.signPub);
    zeroizeSession(session);
    await this.ctx.db.trust.put({ deviceId: row.peerDeviceId, userId: row.peerId, signPub, verifiedAt: Date.now() });
    await this.send(chatId, { k: 'verified', on: true }, async (_r, st) => {
      st.verifiedByMe = true;
      st.keyChanged = false;
      return {};
    });
  }

  // ---------- starting a chat ----------

  /** "Start Secret Chat": one signed request per device of the peer; the first device to accept owns it. */
  async start(peerId: string): Promise<string> {
    const user = await this.relay.user(peerId);
    const devices = await this.relay.devices(peerId);
    if (!devices.length) throw new SecretError('no_devices', `${user.displayName} has no device that can take a secret chat`);
    const identity = await this.ctx.identity();
    const id = crypto.randomUUID();
    const now = Date.now();
    const state = newState();
    const queue: SendQueueRow[] = [];
    for (const d of devices) {
      const { request: req, pending } = await createRequest(await this.ctx.backend(), identity, { signPub: fromB64u(d.signPub), dhPub: fromB64u(d.dhPub) });
      state.pendings.push({ deviceId: d.id, protoChatId: toHex(pending.chatId), pending: toB64u(serializePending(pending)) });
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
    await this.commit(id, { row, state, queue });
    this.changed(id);
    void this.flush();
    return id;
  }

  // ---------- sending ----------

  /** Encrypts one application payload as the next sequenced frame. */
  private sealPayload(session: Session, state: SecretState, payload: SecretPayload) {
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

  private queueRow(row: SecretChatRow, envelope: Uint8Array, messageIds: string[] = []): SendQueueRow {
    return { id: crypto.randomUUID(), toDeviceId: row.peerDeviceId!, body: toB64u(envelope), requestId: null, chatId: row.id, messageIds, createdAt: Date.now() };
  }

  /** Sends a payload in an established chat and runs `local` to build the matching local effects. */
  async send(
    chatId: string,
    build: SecretPayload | ((state: SecretState) => SecretPayload),
    local: (row: SecretChatRow, state: SecretState) => Promise<Partial<Commit>> = async () => ({})
  ): Promise<void> {
    await withLock(`cinder-secret-${chatId}`, async () => {
      const { row, state } = await this.load(chatId);
      if (row.status !== 'active' || !state.session) throw new SecretError('not_active', row.status === 'waiting' ? 'The secret chat is not established yet' : 'This secret chat was cancelled');
      const payload = typeof build === 'function' ? build(state) : build;
      const session = deserializeSession(fromB64u(state.session));
      const { session: next, envelope } = this.sealPayload(session, state, payload);
      state.session = toB64u(serializeSession(next));
      zeroizeSession(session);
      zeroizeSession(next);
      const extra = await local(row, state);
      const messageIds = payload.k === 'text' ? [payload.id] : [];
      await this.commit(chatId, {
        ...extra,
        row: extra.row === undefined ? { ...row, lastAt: payload.k === 'text' ? Date.now() : row.lastAt } : extra.row,
        state,
        queue: [...(extra.queue ?? []), this.queueRow(row, envelope, messageIds)]
      });
    });
    this.changed(chatId);
    void this.flush();
  }

  async sendText(chatId: string, text: string, replyTo: string | null, file: SecretBody['file'] = null): Promise<string> {
    const id = crypto.randomUUID();
    const at = Date.now();
    // Each message carries the timer in force when it was sent (it applies to later messages only).
    await this.send(
      chatId,
      (state) => ({ k: 'text', id, text, replyTo, ttl: state.ttl, at, file }),
      async (_row, state) => ({ put: [await this.messageRow(chatId, id, at, true, { kind: 'text', text, replyTo, ttl: state.ttl, file }, 'pending')] })
    );
    return id;
  }

  /**
   * Sends a file: shown at once (with upload progress), encrypted under a fresh key, uploaded as
   * ciphertext for the peer's device only, then announced with its key inside the channel.
   */
  async sendFile(chatId: string, name: string, mime: string, bytes: Uint8Array, caption: string): Promise<string> {
    const row = await this.ctx.db.secretChats.get(chatId);
    if (!row || row.status !== 'active' || !row.peerDeviceId) throw new SecretError('not_active', 'The secret chat is not established');
    const id = crypto.randomUUID();
    const at = Date.now();
    const { vault, db } = this.ctx;
    const local = { blobId: '', key: '', name, mime, size: bytes.length };
    const state = await vault.open<SecretState>(statePlace(chatId), row.box);
    const pending = await this.messageRow(chatId, id, at, true, { kind: 'text', text: caption, replyTo: null, ttl: state.ttl, file: local }, 'pending');
    const media: SecretMediaRow = { messageId: id, chatId, box: await vault.sealBytes(mediaPlace(id), bytes) };
    await db.transaction('rw', db.secretMessages, db.secretMedia, async () => {
      await db.secretMessages.put(pending.row);
      await db.secretMedia.put(media);
    });
    this.changed(chatId);
    const { key, blob } = await encryptFile(bytes);
    let blobId: string;
    try {
      blobId = await this.relay.uploadBlob(blob, row.peerDeviceId, (loaded, total) => this.ctx.emit({ type: 'progress', id, loaded, total }));
    } catch (e) {
      await db.secretMessages.update(id, { status: 'failed' });
      this.changed(chatId);
      throw e;
    }
    const file: FileRef = { blobId, key, name, mime, size: bytes.length };
    await this.send(
      chatId,
      (st) => ({ k: 'text', id, text: caption, replyTo: null, ttl: st.ttl, at, file }),
      async (_r, st) => ({ put: [await this.messageRow(chatId, id, at, true, { kind: 'text', text: caption, replyTo: null, ttl: st.ttl, file }, 'pending')] })
    );
    return id;
  }

  /** An attachment's plaintext: from the vault, or downloaded, decrypted and kept (sealed) once. */
  async media(messageId: string): Promise<{ bytes: Uint8Array; mime: string; name: string }> {
    const { db, vault } = this.ctx;
    const msg = await db.secretMessages.get(messageId);
    if (!msg) throw new SecretError('not_found', 'This message is gone');
    const body = await vault.open<SecretBody>(secretMsgPlace(messageId), msg.box);
    if (!body.file) throw new SecretError('not_found', 'This message has no attachment');
    const stored = await db.secretMedia.get(messageId);
    if (stored) return { bytes: await vault.openBytes(mediaPlace(messageId), stored.box), mime: body.file.mime, name: body.file.name };
    const blob = await this.relay.downloadBlob(body.file.blobId, body.file.size, (loaded, total) => this.ctx.emit({ type: 'progress', id: messageId, loaded, total }));
    const bytes = await decryptFile(body.file.key, blob);
    const box = await vault.sealBytes(mediaPlace(messageId), bytes);
    // The message may have been deleted or expired during the download: keep nothing then.
    await db.transaction('rw', db.secretMessages, db.secretMedia, async () => {
      if (await db.secretMessages.get(messageId)) await db.secretMedia.put({ messageId, chatId: msg.chatId, box });
    });
    // This device holds it now; the relay's copy has served its purpose.
    void this.relay.deleteBlob(body.file.blobId).catch(() => undefined);
    return { bytes, mime: body.file.mime, name: body.file.name };
  }

  /** Sends what the queue holds, oldest first; stops at the first network failure. */
  flush(): Promise<void> {
    if (this.flushing) {
      // Sends queued while a flush runs go out in another pass, not at the next unrelated event.
      this.flushAgain = true;
      return this.flushing;
    }
    let stalled = false;
    this.flushing = withLock('cinder-send-queue', () => this.gathered(async () => {
      const { db } = this.ctx;
      do {
        this.flushAgain = false;
        stalled = false;
        for (const q of await db.sendQueue.orderBy('createdAt').toArray()) {
          try {
            await this.relay.send({ id: q.id, toDeviceId: q.toDeviceId, body: q.body, ...(q.requestId ? { requestId: q.requestId } : {}) });
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
            this.changed(q.chatId);
            continue;
          }
          await db.transaction('rw', db.sendQueue, db.secretMessages, async () => {
            await db.sendQueue.delete(q.id);
            for (const id of q.messageIds) {
              const m = await db.secretMessages.get(id);
              if (m?.status === 'pending') await db.secretMessages.update(id, { status: 'sent' });
            }
          });
          if (q.messageIds.length) this.changed(q.chatId);
        }
      } while (this.flushAgain);
    })).finally(() => {
      this.flushing = null;
      // Nothing else would try again before the next send or reconnect: the owner schedules a retry.
      if (stalled) this.ctx.sendStalled?.();
    });
    return this.flushing;
  }

  // ---------- receiving ----------

  /** Processes relay envelopes in order, one at a time, then acknowledges them to the relay. */
  receive(envelopes: Envelope[]): Promise<Received> {
    // One receiver at a time across the page's worker and the service worker.
    const run = this.inbound.then(() =>
      withLock('cinder-inbound', () => this.gathered(async () => {
        this.received = { chats: new Map() };
        const { db } = this.ctx;
        await db.seenEnvelopes.where('at').below(Date.now() - SEEN_KEEP_MS).delete();
        // Only this run records envelopes as seen (it holds the lock every receiver takes).
        const seen = await db.seenEnvelopes.bulkGet(envelopes.map((e) => e.id));
        let upTo = 0;
        for (const [i, env] of envelopes.entries()) {
          if (seen[i]) {
            upTo = env.seq;
            continue;
          }
          try {
            await this.handle(env);
            // A frame that changed nothing (e.g. for a cancelled chat) was not committed with it.
            if (this.lastSeenCommitted !== env.id) await db.seenEnvelopes.put({ id: env.id, at: Date.now() });
          } catch (e) {
            if (e instanceof NetError && e.code === 'offline') break; // keep it on the relay, retry later
            await this.reject(e);
          }
          upTo = env.seq;
        }
        await this.sendAcks();
        if (upTo) await this.relay.ack(upTo).catch(() => undefined);
        void this.flush();
        return this.received;
      }))
    );
    this.inbound = run.then(() => undefined, () => undefined);
    return run;
  }

  /** One cumulative ACK frame per chat that received data in this batch. */
  private async sendAcks(): Promise<void> {
    const due = [...this.ackDue];
    this.ackDue.clear();
    for (const chatId of due) {
      await withLock(`cinder-secret-${chatId}`, async () => {
        const { row, state } = await this.load(chatId);
        const ack = inboxAck(inboxFromJSON(state.inbox));
        if (row.status !== 'active' || !state.session || ack <= state.ackSent) return;
        const session = deserializeSession(fromB64u(state.session));
        const { session: next, envelope } = encrypt(session, ackFrame(ack), Date.now());
        state.session = toB64u(serializeSession(next));
        state.ackSent = ack;
        zeroizeSession(session);
        zeroizeSession(next);
        await this.commit(chatId, { row, state, queue: [this.queueRow(row, envelope)] });
      }).catch((e) => console.warn('cinder secret: ack failed', e));
    }
  }

  /**
   * Pulls everything the relay holds for this device, page by page, in queue order. Live
   * "envelope" frames also come here: processing one directly and acknowledging up to it could
   * drop older envelopes still waiting on the relay.
   */
  pull(): Promise<Received> {
    if (this.pulling) {
      this.pullAgain = true;
      return this.pulling;
    }
    const total: Received = { chats: new Map() };
    this.pulling = (async () => {
      do {
        this.pullAgain = false;
        let after = 0;
        for (;;) {
          const envelopes = await this.relay.pull(after, LIMITS.pageMax);
          if (!envelopes.length) break;
          const got = await this.receive(envelopes);
          for (const [chatId, n] of got.chats) total.chats.set(chatId, (total.chats.get(chatId) ?? 0) + n);
          after = envelopes[envelopes.length - 1].seq;
          if (envelopes.length < LIMITS.pageMax) break;
        }
      } while (this.pullAgain);
      return total;
    })().finally(() => (this.pulling = null));
    return this.pulling;
  }

  private async reject(e: unknown) {
    const code = isProtocolError(e) ? e.code : e instanceof SecretError ? e.code : 'internal';
    if (code === 'internal') console.error('cinder secret:', e);
    const { db } = this.ctx;
    await db.transaction('rw', db.meta, async () => {
      const d = ((await db.meta.get('diagnostics'))?.value as Diagnostics | undefined) ?? emptyDiagnostics();
      d.rejected++;
      d.byCode[code] = (d.byCode[code] ?? 0) + 1;
      d.recent = [{ at: Date.now(), code }, ...d.recent].slice(0, 20);
      await db.meta.put({ key: 'diagnostics', value: d });
    });
    this.ctx.emit({ type: 'diagnostics' });
  }

  private async handle(env: Envelope) {
    let body: Uint8Array;
    try {
      body = fromB64u(env.body);
    } catch {
      throw new SecretError('malformed', 'envelope is not base64url');
    }
    if (body.length < 2) throw new SecretError('malformed', 'envelope too short');
    switch (body[1]) {
      case KIND_REQUEST:
        return this.onRequest(env, body);
      case KIND_ACCEPT:
        return this.onAccept(env, body);
      case KIND_MESSAGE:
        return this.onMessage(env, body);
      default:
        throw new SecretError('malformed', 'unknown envelope kind');
    }
  }

  private async onRequest(env: Envelope, body: Uint8Array) {
    const requestId = env.requestId;
    if (!requestId) throw new SecretError('malformed', 'request without request id');
    if (await this.ctx.db.secretChats.get(requestId)) return; // seen before a lost ack
    // The relay lets exactly one of the peer's devices own the chat; the others drop the request.
    try {
      await this.relay.claim(requestId);
    } catch (e) {
      if (e instanceof NetError && (e.code === 'conflict' || e.code === 'not_found' || e.code === 'gone')) return;
      throw e;
    }
    const [user, devices] = await Promise.all([this.relay.user(env.fromUserId), this.relay.devices(env.fromUserId)]);
    const device = devices.find((d) => d.id === env.fromDeviceId);
    if (!device) throw new SecretError('identity_mismatch', 'request from an unknown device');
    const identity = await this.ctx.identity();
    const { accept, session } = await acceptRequest(await this.ctx.backend(), identity, body, {
      expectedPeer: { signPub: fromB64u(device.signPub), dhPub: fromB64u(device.dhPub) }
    });
    const now = Date.now();
    const state = newState();
    state.session = toB64u(serializeSession(session));
    state.fingerprint = toB64u(fingerprint(session));
    await this.applyTrust(state, device.id, session.remoteIdentity.signPub);
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
    await withLock(`cinder-secret-${requestId}`, async () => {
      if (await this.ctx.db.secretChats.get(requestId)) return;
      await this.commit(requestId, {
        row,
        state,
        put: [await this.messageRow(requestId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'established', by: 'peer' })],
        queue: [{ id: crypto.randomUUID(), toDeviceId: device.id, body: toB64u(accept), requestId: null, chatId: requestId, messageIds: [], createdAt: now }],
        seen: env.id
      });
    });
    this.changed(requestId);
  }

  private async onAccept(env: Envelope, body: Uint8Array) {
    const acc = parseAccept(body);
    const protoChatId = toHex(acc.chatId);
    const waiting = await this.ctx.db.secretChats.where('peerId').equals(env.fromUserId).toArray();
    let target: SecretChatRow | undefined;
    for (const row of waiting) {
      if (row.status !== 'waiting') continue;
      const st = await this.ctx.vault.open<SecretState>(statePlace(row.id), row.box);
      if (st.pendings.some((p) => p.protoChatId === protoChatId && p.deviceId === env.fromDeviceId)) target = row;
    }
    if (!target) throw new SecretError('unknown_chat', 'accept for no pending secret chat');
    const chatId = target.id;
    await withLock(`cinder-secret-${chatId}`, async () => {
      const { row, state } = await this.load(chatId);
      if (row.status !== 'waiting') return;
      const p = state.pendings.find((x) => x.protoChatId === protoChatId && x.deviceId === env.fromDeviceId);
      if (!p) return;
      const pending = deserializePending(fromB64u(p.pending));
      const session = await completeHandshake(await this.ctx.backend(), await this.ctx.identity(), pending, body);
      zeroizePending(pending);
      // Confirm the key at once so the acceptor learns we derived the same one.
      const { session: next, envelope } = encrypt(session, ackFrame(0), Date.now());
      state.session = toB64u(serializeSession(next));
      state.fingerprint = toB64u(fingerprint(session));
      state.pendings = [];
      await this.applyTrust(state, env.fromDeviceId, session.remoteIdentity.signPub);
      zeroizeSession(session);
      zeroizeSession(next);
      const now = Date.now();
      const active: SecretChatRow = { ...row, status: 'active', protoChatId, peerDeviceId: env.fromDeviceId, lastAt: now };
      await this.commit(chatId, {
        row: active,
        state,
        put: [await this.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'established', by: 'peer' })],
        queue: [this.queueRow(active, envelope)],
        seen: env.id
      });
    });
    this.changed(chatId);
  }

  private async onMessage(env: Envelope, body: Uint8Array) {
    const { header } = decodeEnvelope(body);
    const row0 = await this.ctx.db.secretChats.where('protoChatId').equals(toHex(header.chatId)).first();
    if (!row0) throw new SecretError('unknown_chat', 'envelope for a chat this device does not have');
    if (row0.peerDeviceId !== env.fromDeviceId) throw new SecretError('wrong_sender', 'envelope from a device that is not in this chat');
    if (row0.status !== 'active') return;
    const chatId = row0.id;
    await withLock(`cinder-secret-${chatId}`, async () => {
      const { row, state } = await this.load(chatId);
      if (row.status !== 'active' || !state.session) return;
      const session = deserializeSession(fromB64u(state.session));
      const { session: afterDecrypt, frame } = await decrypt(await this.ctx.backend(), session, body, Date.now());
      zeroizeSession(session);
      const effects = await this.onFrame(row, state, afterDecrypt, frame);
      await this.commit(chatId, { ...effects, seen: env.id });
    });
    this.changed(chatId);
  }

  /** Applies one decrypted frame: ordering first, then the payloads it releases, in order. */
  private async onFrame(row: SecretChatRow, state: SecretState, session: Session, frame: Frame): Promise<Commit> {
    const outbox = outboxAck(outboxFromJSON(state.outbox), frame.ack);
    let inbox = inboxFromJSON(state.inbox);
    const envelopes: Uint8Array[] = [];
    const c: Effects = { row, state, put: [], remove: [], updates: [] };
    let sess = session;
    const out = (f: Frame) => {
      const r = encrypt(sess, f, Date.now());
      zeroizeSession(sess);
      sess = r.session;
      envelopes.push(r.envelope);
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
          await this.reject(new SecretError('bad_payload', 'peer sent an unreadable payload'));
          continue;
        }
        await this.applyPayload(c, payload);
      }
      // The peer may forget what we now hold: one cumulative ACK after the batch (see sendAcks).
      if (inboxAck(inbox) > state.ackSent) this.ackDue.add(row.id);
    }
    state.inbox = inboxToJSON(inbox);
    state.outbox = outboxToJSON(outbox);
    if (c.row && c.row.status === 'active') {
      state.session = toB64u(serializeSession(sess));
      c.queue = envelopes.map((e) => this.queueRow(row, e));
    } else {
      // The peer cancelled: the keys go now, nothing more is sent in this chat.
      state.session = null;
      state.pendings = [];
    }
    zeroizeSession(sess);
    return c;
  }

  private async applyPayload(c: Effects, p: SecretPayload) {
    const row = c.row!;
    const chatId = row.id;
    const now = Date.now();
    switch (p.k) {
      case 'text': {
        if (await this.ctx.db.secretMessages.get(p.id)) return;
        // Display order is (at, id): messages released together (a gap filled) or in the same
        // millisecond must still get increasing times, or random ids would reorder them.
        const at = Math.max(now, row.lastAt + 1);
        c.put.push(await this.messageRow(chatId, p.id, at, false, { kind: 'text', text: p.text, replyTo: p.replyTo, ttl: p.ttl, file: p.file ?? null }));
        c.row = { ...row, lastAt: at };
        this.received.chats.set(chatId, (this.received.chats.get(chatId) ?? 0) + 1);
        return;
      }
      case 'read':
        for (const id of p.ids) {
          const m = await this.ctx.db.secretMessages.get(id);
          if (!m || m.chatId !== chatId || !m.mine) continue;
          // The sender's timer starts at the peer's read time: back-dated, so an offline sender
          // whose deadline already passed deletes at once.
          const at = Math.min(p.at, now);
          c.updates.push({ id, changes: { status: 'read', deadline: m.ttl > 0 ? m.deadline ?? at + m.ttl * 1000 : undefined } });
        }
        return;
      case 'typing':
        this.ctx.emit({ type: 'typing', peerId: row.peerId, chatId });
        return;
      case 'delete':
        for (const id of p.ids) {
          const m = await this.ctx.db.secretMessages.get(id);
          if (m && m.chatId === chatId) c.remove.push(id);
        }
        return;
      case 'clear':
        c.clearChat = true;
        c.put.length = 0;
        c.put.push(await this.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cleared', by: 'peer' }));
        return;
      case 'cancel':
        c.clearChat = true;
        c.put.length = 0;
        c.row = { ...row, status: 'cancelled', cancelledBy: 'peer', lastAt: now };
        c.put.push(await this.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cancelled', by: 'peer' }));
        return;
      case 'ttl':
        c.state!.ttl = p.seconds;
        c.put.push(await this.messageRow(chatId, p.id, now, false, { kind: 'service', text: '', replyTo: null, ttl: p.seconds, service: 'ttl', by: 'peer' }));
        return;
      case 'screenshot':
        c.put.push(await this.messageRow(chatId, p.id, now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'screenshot', by: 'peer' }));
        return;
      case 'verified':
        c.state!.verifiedByPeer = p.on;
        return;
    }
  }

  // ---------- local actions that order the peer too ----------

  async markRead(chatId: string, ids: string[]): Promise<void> {
    const fresh: string[] = [];
    for (const id of ids) {
      const m = await this.ctx.db.secretMessages.get(id);
      if (m && m.chatId === chatId && !m.mine && m.status !== 'read') fresh.push(id);
    }
    if (!fresh.length) return;
    const at = Date.now();
    await this.send(chatId, { k: 'read', ids: fresh, at }, async () => ({
      updates: await Promise.all(
        fresh.map(async (id) => {
          const m = await this.ctx.db.secretMessages.get(id);
          return { id, changes: { status: 'read' as const, deadline: m && m.ttl > 0 ? at + m.ttl * 1000 : undefined } };
        })
      )
    }));
  }

  async deleteMessages(chatId: string, ids: string[]): Promise<void> {
    await this.send(chatId, { k: 'delete', ids }, async () => ({ remove: ids }));
  }

  async clearHistory(chatId: string): Promise<void> {
    await this.send(chatId, { k: 'clear' }, async () => ({
      clearChat: true,
      put: [await this.messageRow(chatId, crypto.randomUUID(), Date.now(), true, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cleared', by: 'me' })]
    }));
  }

  async setTimer(chatId: string, seconds: number): Promise<void> {
    const id = crypto.randomUUID();
    await this.send(chatId, { k: 'ttl', id, seconds, at: Date.now() }, async (_row, state) => {
      state.ttl = seconds;
      return { put: [await this.messageRow(chatId, id, Date.now(), true, { kind: 'service', text: '', replyTo: null, ttl: seconds, service: 'ttl', by: 'me' })] };
    });
  }

  /** Delete chat: tell the peer (if established), then destroy keys and history here. */
  async deleteChat(chatId: string): Promise<void> {
    const row = await this.ctx.db.secretChats.get(chatId);
    if (!row) return;
    if (row.status === 'active') {
      await this.send(chatId, { k: 'cancel' }, async () => ({ row: null, clearChat: true }));
    } else {
      if (row.status === 'waiting') await this.relay.withdraw(chatId).catch(() => undefined);
      await withLock(`cinder-secret-${chatId}`, () => this.commit(chatId, { row: null, clearChat: true }));
      this.changed(chatId);
    }
  }

  /** Logging out: every peer is told its chat is cancelled before this device forgets the keys. */
  async cancelAll(): Promise<void> {
    for (const row of await this.ctx.db.secretChats.toArray()) {
      await this.deleteChat(row.id).catch(() => undefined);
    }
    await this.flush();
  }

  /** Best-effort screenshot notice (the page saw a platform signal such as PrintScreen). */
  async screenshot(chatId: string): Promise<void> {
    const id = crypto.randomUUID();
    const at = Date.now();
    await this.send(chatId, { k: 'screenshot', id, at }, async () => ({
      put: [await this.messageRow(chatId, id, at, true, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'screenshot', by: 'me' })]
    }));
  }

  async typing(chatId: string): Promise<void> {
    await this.send(chatId, { k: 'typing' });
  }
}

type Effects = Commit & { put: { row: SecretMessageRow }[]; remove: string[]; updates: NonNullable<Commit['updates']> };

