/**
 * Secret chats on this device: the handshake through the relay's queue, the Double Ratchet per
 * message, ordering and resend, and what the peer's frames ask us to do.
 *
 * Every change to a chat's cryptographic state happens under that chat's lock (a Web Lock, shared
 * by the page's worker and the service worker) and is committed in ONE Dexie transaction together
 * with its effects (messages stored, envelopes queued). A crash between decrypt and save therefore
 * loses nothing: the envelope is acknowledged to the relay only after the commit, so it comes back.
 *
 * This class is the engine's face: it wires the parts (chats.ts, handshake.ts, outbound.ts,
 * inbound.ts, media.ts) and holds the local actions that order the peer too.
 */
import type { Envelope } from '$lib/api/wire';
import type { Reaction } from '$lib/api/limits';
import { fromB64u } from '$lib/api/b64';
import { toHex } from '$lib/crypto';
import { equalBytes } from '$lib/crypto/bytes';
import type { SecretChatRow } from '$lib/store/db';
import { Chats } from './chats';
import { NewerStateError, SecretError } from './errors';
import { edited, myEdit, rewritten } from './edit';
import { withPinned } from '../pins';
import { myPinTarget, pinnedBody } from './pin';
import { myReactTarget, reacted } from './react';
import { Failures } from './failure';
import { Handshake } from './handshake';
import { Inbound } from './inbound';
import { Media, type SendFileOptions } from './media';
import { Outbound } from './outbound';
import type { SecretBody, SecretPayload } from './payload';
import { readSession } from './ratchet';
import { Receipts } from './receipts';
import { systemClock } from './jitter';
import { httpRelay } from './relay';
import type { Commit, Received, SecretContext, SecretState } from './state';

export class SecretEngine {
  private readonly chats: Chats;
  private readonly out: Outbound;
  private readonly handshake: Handshake;
  private readonly failures: Failures;
  private readonly in: Inbound;
  private readonly files: Media;
  private readonly receipts: Receipts;

  constructor(private readonly ctx: SecretContext) {
    this.chats = new Chats(ctx, ctx.relay ?? httpRelay);
    this.out = new Outbound(this.chats);
    this.handshake = new Handshake(this.chats, this.out);
    this.failures = new Failures(this.chats);
    this.out.onRequestRefused = (chatId, deviceId, blocked) => this.failures.requestUndeliverable(chatId, deviceId, blocked ? 'blocked' : 'gone');
    this.in = new Inbound(this.chats, this.out, this.handshake, this.failures);
    this.files = new Media(this.chats, this.out);
    // Read reports and ACKs leave in per-chat batches at random times, not right after a message (receipts.ts).
    this.receipts = new Receipts(this.chats, this.out, ctx.clock ?? systemClock);
    this.in.onAcksDue = (chatIds) => this.receipts.ack(chatIds);
    // What an earlier run left waiting: reads not yet told, wake-up slots not yet registered.
    void this.receipts.resume().catch(() => undefined);
    void this.chats.wakeups.arm().catch(() => undefined);
  }

  /** "Start Secret Chat": one signed request per device of the peer; the first device to accept owns it. */
  start(peerId: string): Promise<string> {
    return this.handshake.start(peerId);
  }

  /** Sends a payload in an established chat and runs `local` to build the matching local effects. */
  send(
    chatId: string,
    build: SecretPayload | ((state: SecretState, at: number) => SecretPayload),
    local?: (row: SecretChatRow, state: SecretState, at: number) => Promise<Partial<Commit>>
  ): Promise<void> {
    return this.out.send(chatId, build, local);
  }

  /**
   * Fails waiting chats (all, or `only`) whose requests no signed-in device of the peer can take any
   * more (failure.ts). Asks the relay; a network failure changes nothing.
   */
  checkWaiting(only?: string): Promise<void> {
    return this.failures.checkWaiting(only);
  }

  /** Rewrites chats stored in an earlier sealed format in the current one (run after unlock). */
  upgradeStored(): Promise<number> {
    return this.chats.upgradeStored();
  }

  /**
   * Sealed addressing upkeep (run at start): tells the relay this device speaks protocol 2, and
   * registers the receive mailboxes of every version-2 chat for the coming days (mailboxes.ts).
   */
  maintain(): Promise<void> {
    return this.chats.mailboxes.refresh(true);
  }

  /** Sends what the queue holds, oldest first; stops at the first network failure. */
  flush(): Promise<void> {
    return this.out.flush();
  }

  /** Processes relay envelopes in order, one at a time, then acknowledges them to the relay. */
  receive(envelopes: Envelope[]): Promise<Received> {
    return this.in.receive(envelopes);
  }

  /** Receives what the service worker held while locked (locked-inbox.ts): how many were handled. */
  async receiveHeld(): Promise<number> {
    return (await this.in.takeHeld()).handled;
  }

  /** Pulls everything the relay holds for this device, page by page, in queue order. */
  pull(): Promise<Received> {
    return this.in.pull();
  }

  /** A new socket: live frames are taken directly again only once a pull or a frame with nothing before it (prev 0) says where the queue is. */
  reconnected(): void {
    this.in.reconnected();
  }

  /** A live envelope frame: handled from the frame when it is next in queue order (`prev`), else a pull. */
  live(envelope: Envelope, prev: number | undefined): Promise<Received> {
    return this.in.live(envelope, prev);
  }

  sendFile(chatId: string, name: string, mime: string, bytes: Uint8Array, caption: string, opts?: SendFileOptions): Promise<string> {
    return this.files.sendFile(chatId, name, mime, bytes, caption, opts);
  }

  /** An attachment's plaintext: from the vault, or downloaded, decrypted and kept (sealed) once. */
  media(messageId: string): Promise<{ bytes: Uint8Array; mime: string; name: string }> {
    return this.files.media(messageId);
  }

  // ---------- local actions that order the peer too ----------

  /** `draftTicket`: the send's ticket (../draft-order.ts); the chat's draft goes with the message stored. */
  async sendText(
    chatId: string,
    text: string,
    replyTo: string | null,
    file: SecretBody['file'] = null,
    quote?: SecretBody['quote'],
    draftTicket?: number
  ): Promise<string> {
    const id = crypto.randomUUID();
    // Each message carries the timer in force when it was sent (it applies to later messages only), and
    // the time the send takes under the chat's lock (Chats.nextAt), not the time it was asked for.
    await this.send(
      chatId,
      (state, at) => ({ k: 'text', id, text, replyTo, ...(replyTo && quote ? { quote } : {}), ttl: state.ttl, at, file }),
      async (_row, state, at) => ({
        put: [this.chats.messageRow(chatId, id, at, true, { kind: 'text', text, replyTo, ...(replyTo && quote ? { quote } : {}), ttl: state.ttl, file }, 'pending')],
        sentDraft: draftTicket
      })
    );
    return id;
  }

  /**
   * The user compared keys (scan or in person): pin the peer device and tell the peer. `fingerprint`
   * is what the user compared; it must be the chat's key now, or nothing is pinned.
   */
  async verify(chatId: string, fingerprint: Uint8Array): Promise<void> {
    await this.send(
      chatId,
      (state) => {
        // Checked under the chat's lock, before anything is sent: a stale or foreign key is never pinned.
        if (!state.fingerprint || !equalBytes(fromB64u(state.fingerprint), fingerprint))
          throw new SecretError('key_mismatch', 'The key you compared is not the key of this secret chat. Nothing was marked as verified.');
        return { k: 'verified', on: true };
      },
      async (row, st) => {
        if (!row.peerDeviceId) throw new SecretError('not_active', 'Only an established secret chat can be verified');
        const signPub = readSession(st.session!, (session) => toHex(session.remoteIdentity.signPub));
        st.verifiedByMe = true;
        st.keyChanged = false;
        st.newDevice = false;
        return { trust: { deviceId: row.peerDeviceId, userId: row.peerId, signPub, verifiedAt: Date.now() } };
      }
    );
  }

  async markRead(chatId: string, ids: string[]): Promise<void> {
    const fresh: string[] = [];
    for (const id of ids) {
      const m = await this.ctx.db.secretMessages.get(id);
      if (m && m.chatId === chatId && !m.mine && m.status !== 'read') fresh.push(id);
    }
    if (!fresh.length) return;
    const at = Date.now();
    await this.chats.locked(chatId, async () => {
      const row = await this.ctx.db.secretChats.get(chatId);
      if (row?.status !== 'active') throw new SecretError('not_active', 'This secret chat is not active');
      // Kept for the peer before applied here: a crash between the two tells the peer, never loses the read.
      await this.receipts.read(chatId, fresh, at);
      const updates = await Promise.all(
        fresh.map(async (id) => {
          const m = await this.ctx.db.secretMessages.get(id);
          return { id, changes: { status: 'read' as const, deadline: m && m.ttl > 0 ? at + m.ttl * 1000 : undefined } };
        })
      );
      await this.chats.commit(chatId, { updates });
    });
    this.chats.changed(chatId);
  }

  /** This engine is done with (the vault locked, signed out): its receipt, wake-up and pull-retry timers stop; what they held stays in meta (or on the relay) for the next engine. */
  stop(): void {
    this.in.stop();
    this.receipts.stop();
    this.chats.wakeups.stop();
  }

  /** Registers the waiting wake-up slots within `maxMs` (a service-worker wake, which no timer outlives). */
  registerWakeups(maxMs: number): Promise<void> {
    return this.chats.wakeups.sendWithin(maxMs);
  }

  /** Sends the waiting receipts (read reports, ACKs) now instead of at their batch's random time. */
  sendReceipts(chatId?: string): Promise<void> {
    return this.receipts.send(chatId);
  }

  /** "Delete for both": this chat's messages among `ids` (others are ignored, never ordered deleted on this peer). */
  async deleteMessages(chatId: string, ids: string[]): Promise<void> {
    const rows = await this.ctx.db.secretMessages.bulkGet(ids);
    const remove = ids.filter((_, i) => rows[i]?.chatId === chatId);
    if (!remove.length) return;
    await this.send(chatId, { k: 'delete', ids: remove }, async () => ({ remove }));
  }

  /**
   * Edits my message `id` (a text, or a file's caption that may become empty; no timer, at most 48 h
   * old) here and on the peer's device. An unchanged text sends nothing; one that cannot be edited
   * throws (edit.ts).
   */
  async editMessage(chatId: string, id: string, text: string): Promise<void> {
    const first = await myEdit(this.chats, chatId, id, text, Date.now());
    if (!first) return;
    // Later than the edit it replaces, whatever the clock did meanwhile.
    const at = Math.max(Date.now(), (first.body.edited ?? 0) + 1);
    await this.send(chatId, { k: 'edit', msg: id, text, at }, async () => {
      // Again under the chat's lock: deleted or edited meanwhile.
      const now = await myEdit(this.chats, chatId, id, text, Date.now());
      const body = now && edited(now.body, { msg: id, text, at });
      if (!now || !body) throw new SecretError('not_editable', 'This message changed meanwhile. Try again.');
      return { put: [rewritten(this.chats, now.row, body)] };
    });
  }

  /**
   * Sets my reaction to message `id` ('' removes it) here and on the peer's device; one already set
   * (the same emoji, or no reaction to remove) sends nothing. A service row or placeholder throws (react.ts).
   */
  async reactMessage(chatId: string, id: string, emoji: Reaction | ''): Promise<void> {
    const first = await myReactTarget(this.chats, chatId, id);
    if ((first.body.reactions?.mine?.e ?? '') === emoji) return;
    const at = Math.max(Date.now(), (first.body.reactions?.mine?.at ?? 0) + 1);
    await this.send(chatId, { k: 'react', msg: id, emoji, at }, async () => {
      const now = await myReactTarget(this.chats, chatId, id);
      const body = reacted(now.body, 'mine', { msg: id, emoji, at });
      if (!body) throw new SecretError('not_reactable', 'This message changed meanwhile. Try again.');
      return { put: [rewritten(this.chats, now.row, body)] };
    });
  }

  /** Pins message `id` for both sides, or unpins it (pin.ts); one already so sends nothing. */
  async pinMessage(chatId: string, id: string, pinned: boolean): Promise<void> {
    const first = await myPinTarget(this.chats, chatId, id, pinned);
    if (!first) return;
    // Later than the state it replaces, whatever the clock did meanwhile.
    const at = Math.max(Date.now(), (first.body.pin?.at ?? 0) + 1);
    await this.send(chatId, { k: 'pin', msg: id, pinned, at }, async (row) => {
      const now = await myPinTarget(this.chats, chatId, id, pinned);
      const body = now && pinnedBody(now.body, { msg: id, pinned, at });
      if (!now || !body) throw new SecretError('not_pinnable', 'This message changed meanwhile. Try again.');
      return { put: [rewritten(this.chats, now.row, body)], row: withPinned(row, id, pinned ? at : null) };
    });
  }

  /** "Delete for me": removes this chat's messages here only; the peer is not told and keeps them. */
  async deleteForMe(chatId: string, ids: string[]): Promise<void> {
    await this.chats.locked(chatId, async () => {
      const rows = await this.ctx.db.secretMessages.bulkGet(ids);
      const remove = ids.filter((_, i) => rows[i]?.chatId === chatId);
      if (remove.length) await this.chats.commit(chatId, { remove, forMe: true });
    });
    this.chats.changed(chatId);
  }

  async clearHistory(chatId: string): Promise<void> {
    await this.send(chatId, { k: 'clear' }, async () => ({
      clearChat: true,
      put: [this.chats.messageRow(chatId, crypto.randomUUID(), Date.now(), true, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cleared', by: 'me' })]
    }));
  }

  async setTimer(chatId: string, seconds: number): Promise<void> {
    const id = crypto.randomUUID();
    await this.send(
      chatId,
      (_state, at) => ({ k: 'ttl', id, seconds, at }),
      async (_row, state, at) => {
        state.ttl = seconds;
        return { put: [this.chats.messageRow(chatId, id, at, true, { kind: 'service', text: '', replyTo: null, ttl: seconds, service: 'ttl', by: 'me' })] };
      }
    );
  }

  /**
   * Delete chat: tell the peer (if established), then destroy keys and history here. A chat whose state
   * a newer version wrote is deleted here only: no cancel can be sealed with a state this version
   * cannot open (the page says the peer is not told), and its keys must not outlive the user's wish.
   */
  async deleteChat(chatId: string): Promise<void> {
    const row = await this.ctx.db.secretChats.get(chatId);
    if (!row) return;
    if (row.status === 'active') {
      try {
        return await this.send(chatId, { k: 'cancel' }, async () => ({ row: null, clearChat: true }));
      } catch (e) {
        if (!(e instanceof NewerStateError)) throw e;
      }
    }
    if (row.status === 'waiting') await this.chats.relay.withdraw(chatId).catch(() => undefined);
    await this.chats.locked(chatId, () => this.chats.commit(chatId, { row: null, clearChat: true }));
    this.chats.changed(chatId);
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
    await this.send(
      chatId,
      (_state, at) => ({ k: 'screenshot', id, at }),
      async (_row, _state, at) => ({
        put: [this.chats.messageRow(chatId, id, at, true, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'screenshot', by: 'me' })]
      })
    );
  }

  async typing(chatId: string): Promise<void> {
    await this.send(chatId, { k: 'typing' });
  }
}
