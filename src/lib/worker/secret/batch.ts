/**
 * Receiving a run of one chat's ratchet envelopes (consecutive in a relay page) as one batch: the
 * chat's lock taken once, its state opened once, each envelope decrypted in order with the state kept
 * in memory, then ONE commit (one state seal, one transaction with every message row, every envelope
 * marked seen and what goes back queued), and one announcement. An envelope that does not decrypt or
 * validate is rejected alone and leaves the state as if it never came; a store failure fails the whole
 * batch (nothing of it is marked seen or acknowledged: it all comes back).
 */
import {
  dataFrame,
  decrypt,
  deserializeSession,
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
  serializeSession,
  zeroize,
  zeroizeSession,
  type Frame,
  type Session
} from '$lib/crypto';
import type { Envelope } from '$lib/api/wire';
import type { SecretChatRow } from '$lib/store/db';
import { applyPayload } from './apply';
import { droppedFromBlocked, peerBlocked } from './blocked';
import type { Chats } from './chats';
import { recordRejection } from './diagnostics';
import { NewerStateError, SecretError, StoreFailure } from './errors';
import { park } from './parked';
import { queueRow } from './outbound';
import { APP_JSON, decodePayload } from './payload';
import { RecvHeaderKeys, sendKeys, wipeKeys, type EpochKeys } from './sealed';
import type { Effects, Received, SecretState } from './state';
import { dropPendings, wipeState } from './stored';
import { applyUnsupported, unsupportedPayload } from './unsupported';

/** One envelope of a batch: `open` gives its version-1 ratchet bytes (a sealed one is unsealed with the batch's header keys). */
export interface BatchItem {
  envId: string;
  seq: number;
  /** As the relay sent it: kept (parked.ts) when a newer version wrote the chat's state. */
  envelope: Envelope;
  open: (row: SecretChatRow, session: Session, keys: RecvHeaderKeys) => Uint8Array;
}

/** What a batch adds to the receive run it belongs to. */
export interface RunTally {
  received: Received;
  /** Chats owing the peer an ACK (sent once, after the run). */
  ackDue: Set<string>;
}

const addCounts = (to: Received, from: Received) => {
  for (const [id, n] of from.chats) to.chats.set(id, (to.chats.get(id) ?? 0) + n);
};

/** Receives `items` (in queue order) in chat `chatId`. Throws StoreFailure only, with nothing of the batch stored. */
export async function receiveBatch(chats: Chats, chatId: string, items: BatchItem[], run: RunTally): Promise<void> {
  const rejected: unknown[] = [];
  const failed = new Set<string>();
  const got: Received = { chats: new Map() };
  await chats.locked(chatId, async () => {
    let loaded: { row: SecretChatRow; state: SecretState };
    try {
      loaded = await chats.load(chatId);
    } catch (e) {
      if (e instanceof StoreFailure) throw e;
      // Not corrupt, from a newer version: kept for it, acknowledged, and the rest of the queue goes on.
      if (e instanceof NewerStateError)
        return park(
          chats,
          chatId,
          items.map((i) => i.envelope)
        );
      // As before, per envelope: the chat cannot be opened (gone, unreadable), so none of them can.
      rejected.push(...items.map(() => e));
      return;
    }
    const { row, state } = loaded;
    // A peer I blocked: decrypted and ordered as ever, but what would show is dropped (blocked.ts).
    const blocked = await peerBlocked(chats, row.peerId);
    let c: Effects = { row, state, put: [], remove: [], updates: [], queue: [], texts: [] };
    const backend = await chats.ctx.backend();
    let accepted = 0;
    // The session stays in memory for the whole batch (decrypt and encrypt return new sessions and
    // leave the one given as it was); stored back into the state once, before the one seal.
    let live: Session | null = state.session ? deserializeSession(state.session) : null;
    const headerKeys = new RecvHeaderKeys();
    try {
      for (const item of items) {
        // A chat not (or no longer, e.g. cancelled earlier in this batch) active: the envelope changes nothing.
        if (c.row?.status !== 'active' || !live) continue;
        const before = { ...state };
        const trial: Effects = { ...c, put: [...c.put], remove: [...c.remove], updates: [...c.updates], queue: [...(c.queue ?? [])], texts: [...c.texts] };
        const counts: Received = { chats: new Map() };
        let next: Session | null = null;
        try {
          const d = await decrypt(backend, live, item.open(trial.row!, live, headerKeys), Date.now());
          next = d.session;
          const after = await onFrame(chats, trial, d.session, d.frame, counts, run.ackDue, blocked);
          zeroizeSession(live);
          live = after.session;
          c = trial;
          accepted++;
          addCounts(got, counts);
        } catch (e) {
          if (e instanceof StoreFailure) throw e;
          if (next) zeroizeSession(next);
          // As if it never came: the session in memory was not replaced, every other field is restored.
          Object.assign(state, before);
          rejected.push(e);
          // Not marked seen either: the genuine envelope of that id may still come.
          failed.add(item.envId);
        }
      }
      if (accepted) {
        zeroize(state.session);
        state.session = live ? serializeSession(live) : null;
      }
    } finally {
      headerKeys.wipe();
      if (live) zeroizeSession(live);
    }
    const seen = items.filter((i) => !failed.has(i.envId)).map((i) => ({ id: i.envId, seq: i.seq }));
    // Nothing decrypted (all rejected, or the chat not active): the state stays as it was, not even re-sealed.
    if (!accepted) {
      wipeState(state);
      if (seen.length) await chats.commit(chatId, { seen });
      return;
    }
    // Seals the state once and wipes it, also when the transaction fails. Incoming messages already
    // stored (sent twice, e.g. after the peer restored its state) stay as they are, and are not new.
    const kept = await chats.commit(chatId, { ...c, seen, keep: c.texts });
    if (kept) got.chats.set(chatId, Math.max(0, (got.chats.get(chatId) ?? 0) - kept));
  });
  addCounts(run.received, got);
  for (const e of rejected) await recordRejection(chats.ctx, e);
  chats.changed(chatId);
}

/**
 * Applies one decrypted frame to the batch's effects `c`: ordering first, then the payloads it
 * releases, in order (those of a `blocked` peer that would show, dropped). Returns the session after
 * the frames it sends back (resends, resend requests), or null if the chat ended.
 */
async function onFrame(
  chats: Chats,
  c: Effects,
  session: Session,
  frame: Frame,
  received: Received,
  ackDue: Set<string>,
  blocked: boolean
): Promise<{ session: Session | null }> {
  const state = c.state!;
  const row = c.row!;
  const outbox = outboxAck(outboxFromJSON(state.outbox), frame.ack);
  let inbox = inboxFromJSON(state.inbox);
  const envelopes: { envelope: Uint8Array; keys: EpochKeys | null }[] = [];
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
      if (payload) {
        if (!blocked || !droppedFromBlocked(payload)) await applyPayload(chats, c, payload, received);
        continue;
      }
      // A message of a newer version: a placeholder, not a silent drop (unsupported.ts).
      const newer = item.type === APP_JSON ? unsupportedPayload(item.payload) : null;
      if (newer) {
        if (!blocked) applyUnsupported(chats, c, newer, received);
      } else await recordRejection(chats.ctx, new SecretError('bad_payload', 'peer sent an unreadable payload'));
    }
    // The peer may forget what we now hold: one cumulative ACK after the run (see Inbound.receive).
    if (inboxAck(inbox) > state.ackSent) ackDue.add(row.id);
  }
  state.inbox = inboxToJSON(inbox);
  state.outbox = outboxToJSON(outbox);
  if (c.row && c.row.status === 'active') {
    // The chat row as it is after this frame (applyPayload may have moved lastAt on).
    for (const e of envelopes) c.queue!.push(queueRow(c.row, e.envelope, [], e.keys));
    return { session: sess };
  }
  for (const e of envelopes) wipeKeys(e.keys);
  // The peer cancelled: the keys go now, nothing more is sent in this chat.
  zeroizeSession(sess);
  dropPendings(state);
  return { session: null };
}
