/**
 * Ordering layer on top of the ratchet (pure, immutable, JSON-serializable), modelled on MTProto
 * seq_no + msgs_ack + resend_req:
 *  - Inbox: per-direction receive window. Drops duplicates/replays (seq <= delivered or already
 *    held), holds out-of-order frames, releases them strictly in order, and reports each gap as a
 *    resend request exactly once (missingRanges() re-derives all open gaps for timer-based retries).
 *  - Outbox: assigns seq 1, 2, 3, ... and keeps every unacknowledged frame (plaintext + seq) for
 *    retransmission until the peer's cumulative ack ("received up to N") covers it.
 * Resent frames are re-encrypted as NEW ratchet messages with the SAME seq; the inbox deduplicates.
 */
import { b64url, fromB64url } from './bytes.js';
import { fail } from './errors.js';
import { FrameType, resendPayload, type Frame } from './frame.js';

export const SEQ_LIMITS = {
  /** Max frames held out of order; beyond that new out-of-order frames are dropped (resend recovers). */
  maxHeld: 1000,
  /** Max distance ahead of `delivered` a seq may be; farther frames are dropped. */
  maxAhead: 5000,
  /** Max unacknowledged outgoing frames kept for resend. */
  maxUnacked: 2000
} as const;

export interface SeqItem {
  readonly seq: number;
  readonly type: number;
  readonly payload: Uint8Array;
}

export interface Inbox {
  readonly delivered: number; // highest seq released in order (0 = none yet)
  readonly requestedUpTo: number; // every gap at or below this seq has been requested once
  readonly held: readonly SeqItem[]; // out-of-order frames, ascending seq
}

export interface Outbox {
  readonly nextSeq: number; // seq of the next new frame (starts at 1)
  readonly unacked: readonly SeqItem[]; // ascending seq
}

export interface Range {
  readonly from: number;
  readonly to: number;
}

export type ReceiveStatus = 'delivered' | 'held' | 'duplicate' | 'dropped';

export interface InboxResult {
  inbox: Inbox;
  status: ReceiveStatus;
  release: SeqItem[]; // frames now deliverable to the app, in order
  resend: Range[]; // newly detected gaps to request from the peer (each reported once)
}

export const newInbox = (): Inbox => ({ delivered: 0, requestedUpTo: 0, held: [] });
export const newOutbox = (): Outbox => ({ nextSeq: 1, unacked: [] });

/** Feed a decrypted, sequenced frame (seq >= 1) into the receive window. */
export function inboxReceive(inbox: Inbox, frame: SeqItem): InboxResult {
  const { seq } = frame;
  if (!Number.isInteger(seq) || seq < 1) fail('bad_frame', 'control frames are not sequenced');
  const same = (status: ReceiveStatus): InboxResult => ({ inbox, status, release: [], resend: [] });
  if (seq <= inbox.delivered || inbox.held.some((h) => h.seq === seq)) return same('duplicate');
  if (seq - inbox.delivered > SEQ_LIMITS.maxAhead) return same('dropped');

  const item: SeqItem = { seq, type: frame.type, payload: frame.payload };
  if (seq === inbox.delivered + 1) {
    const release = [item];
    let delivered = seq;
    const held = [...inbox.held];
    while (held.length && held[0]!.seq === delivered + 1) {
      release.push(held.shift()!);
      delivered++;
    }
    return { inbox: { delivered, requestedUpTo: Math.max(inbox.requestedUpTo, delivered), held }, status: 'delivered', release, resend: [] };
  }
  if (inbox.held.length >= SEQ_LIMITS.maxHeld) return same('dropped');
  const held = [...inbox.held, item].sort((a, b) => a.seq - b.seq);
  // New gaps: missing seqs in (max(delivered, requestedUpTo), seq) that are not held.
  const start = Math.max(inbox.delivered, inbox.requestedUpTo) + 1;
  const resend = gaps(start, seq - 1, held);
  return { inbox: { delivered: inbox.delivered, requestedUpTo: Math.max(inbox.requestedUpTo, seq - 1), held }, status: 'held', release: [], resend };
}

function gaps(from: number, to: number, held: readonly SeqItem[]): Range[] {
  const out: Range[] = [];
  let cur = from;
  for (const h of held) {
    if (h.seq < cur) continue;
    if (h.seq > to) break;
    if (h.seq > cur) out.push({ from: cur, to: h.seq - 1 });
    cur = h.seq + 1;
  }
  if (cur <= to) out.push({ from: cur, to });
  return out;
}

/** All currently open gaps (for a retry timer). Trailing losses are invisible here: the sender
 * recovers them by retransmitting unacknowledged frames (outboxPending). */
export function missingRanges(inbox: Inbox): Range[] {
  if (!inbox.held.length) return [];
  return gaps(inbox.delivered + 1, inbox.held[inbox.held.length - 1]!.seq - 1, inbox.held);
}

/** Cumulative ack to put into every outgoing frame. */
export const inboxAck = (inbox: Inbox): number => inbox.delivered;

export function outboxPush(outbox: Outbox, type: number, payload: Uint8Array): { outbox: Outbox; item: SeqItem } {
  if (type < FrameType.APP || type > 255) fail('bad_frame', 'application frame type must be 0x10..0xff');
  if (outbox.unacked.length >= SEQ_LIMITS.maxUnacked) fail('limit', 'too many unacknowledged frames');
  if (outbox.nextSeq > 0xffffffff) fail('limit', 'seq exhausted');
  const item: SeqItem = { seq: outbox.nextSeq, type, payload: payload.slice() };
  return { outbox: { nextSeq: outbox.nextSeq + 1, unacked: [...outbox.unacked, item] }, item };
}

/** Peer says it has everything up to and including `ack`. Acks beyond what we sent are ignored. */
export function outboxAck(outbox: Outbox, ack: number): Outbox {
  if (ack >= outbox.nextSeq) return outbox;
  const unacked = outbox.unacked.filter((i) => i.seq > ack);
  return unacked.length === outbox.unacked.length ? outbox : { nextSeq: outbox.nextSeq, unacked };
}

/** Frames to retransmit for a peer's RESEND(from, to). */
export const outboxResend = (outbox: Outbox, r: Range): SeqItem[] => outbox.unacked.filter((i) => i.seq >= r.from && i.seq <= r.to);

/** Everything still unacknowledged (retransmit on timeout). */
export const outboxPending = (outbox: Outbox): SeqItem[] => [...outbox.unacked];

// ---- frame builders ---------------------------------------------------------------------------

export const dataFrame = (item: SeqItem, ack: number): Frame => ({ seq: item.seq, ack, type: item.type, payload: item.payload });
export const ackFrame = (ack: number): Frame => ({ seq: 0, ack, type: FrameType.ACK, payload: new Uint8Array(0) });
export const resendFrame = (r: Range, ack: number): Frame => ({ seq: 0, ack, type: FrameType.RESEND, payload: resendPayload(r.from, r.to) });

// ---- JSON-safe persistence --------------------------------------------------------------------

type ItemJSON = { seq: number; type: number; payload: string };
export type InboxJSON = { v: 1; delivered: number; requestedUpTo: number; held: ItemJSON[] };
export type OutboxJSON = { v: 1; nextSeq: number; unacked: ItemJSON[] };

const itemToJSON = (i: SeqItem): ItemJSON => ({ seq: i.seq, type: i.type, payload: b64url(i.payload) });

export const inboxToJSON = (i: Inbox): InboxJSON => ({ v: 1, delivered: i.delivered, requestedUpTo: i.requestedUpTo, held: i.held.map(itemToJSON) });
export const outboxToJSON = (o: Outbox): OutboxJSON => ({ v: 1, nextSeq: o.nextSeq, unacked: o.unacked.map(itemToJSON) });

const isU32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function itemsFromJSON(a: unknown, max: number, minSeq: number, maxSeq: number): SeqItem[] {
  if (!Array.isArray(a) || a.length > max) fail('bad_state', 'item list');
  let prev = minSeq;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untrusted stored JSON: every field is checked just below
  return a.map((x: any) => {
    if (!x || !isU32(x.seq) || x.seq <= prev || x.seq > maxSeq) fail('bad_state', 'item seq');
    if (!isU32(x.type) || x.type < FrameType.APP || x.type > 255 || typeof x.payload !== 'string' || !/^[A-Za-z0-9_-]*$/.test(x.payload)) fail('bad_state', 'item');
    prev = x.seq;
    return { seq: x.seq, type: x.type, payload: fromB64url(x.payload) };
  });
}

export function inboxFromJSON(j: unknown): Inbox {
  const o = j as InboxJSON;
  if (!o || typeof o !== 'object') fail('bad_state', 'inbox');
  if (o.v !== 1) fail('bad_version', 'inbox version');
  if (!isU32(o.delivered) || !isU32(o.requestedUpTo) || o.requestedUpTo < o.delivered) fail('bad_state', 'inbox counters');
  return { delivered: o.delivered, requestedUpTo: o.requestedUpTo, held: itemsFromJSON(o.held, SEQ_LIMITS.maxHeld, o.delivered + 1, o.delivered + SEQ_LIMITS.maxAhead) };
}

export function outboxFromJSON(j: unknown): Outbox {
  const o = j as OutboxJSON;
  if (!o || typeof o !== 'object') fail('bad_state', 'outbox');
  if (o.v !== 1) fail('bad_version', 'outbox version');
  if (!isU32(o.nextSeq) || o.nextSeq < 1) fail('bad_state', 'outbox counters');
  return { nextSeq: o.nextSeq, unacked: itemsFromJSON(o.unacked, SEQ_LIMITS.maxUnacked, 0, o.nextSeq - 1) };
}
