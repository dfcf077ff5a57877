import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { rejects } from './helpers.js';

const item = (seq: number): C.SeqItem => ({ seq, type: 0x10, payload: new Uint8Array([seq & 255]) });

describe('Inbox', () => {
  it('in-order delivery, duplicates dropped', () => {
    let ib = C.newInbox();
    let r = C.inboxReceive(ib, item(1));
    expect(r.status).toBe('delivered');
    ib = r.inbox;
    r = C.inboxReceive(ib, item(1));
    expect(r.status).toBe('duplicate');
    expect(r.inbox).toBe(ib);
    expect(C.inboxAck(ib)).toBe(1);
  });

  it('holds out-of-order frames, requests each gap once, releases in order', () => {
    let ib = C.newInbox();
    let r = C.inboxReceive(ib, item(4));
    expect(r.status).toBe('held');
    expect(r.resend).toEqual([{ from: 1, to: 3 }]);
    ib = r.inbox;
    r = C.inboxReceive(ib, item(7));
    expect(r.resend).toEqual([{ from: 5, to: 6 }]); // 1..3 not requested again
    ib = r.inbox;
    r = C.inboxReceive(ib, item(4));
    expect(r.status).toBe('duplicate');
    expect(C.missingRanges(ib)).toEqual([
      { from: 1, to: 3 },
      { from: 5, to: 6 }
    ]);
    r = C.inboxReceive(ib, item(2));
    expect(r.resend).toEqual([]);
    ib = r.inbox;
    r = C.inboxReceive(ib, item(1));
    expect(r.release.map((i) => i.seq)).toEqual([1, 2]);
    ib = r.inbox;
    r = C.inboxReceive(ib, item(3));
    expect(r.release.map((i) => i.seq)).toEqual([3, 4]);
    ib = r.inbox;
    expect(ib.delivered).toBe(4);
    expect(C.missingRanges(ib)).toEqual([{ from: 5, to: 6 }]);
  });

  it('drops frames too far ahead; rejects control seq 0', async () => {
    const r = C.inboxReceive(C.newInbox(), item(C.SEQ_LIMITS.maxAhead + 1));
    expect(r.status).toBe('dropped');
    await rejects(() => C.inboxReceive(C.newInbox(), { seq: 0, type: 1, payload: new Uint8Array() }), 'bad_frame');
  });

  it('JSON round-trip and validation', async () => {
    let ib = C.newInbox();
    for (const s of [1, 3, 5]) ib = C.inboxReceive(ib, item(s)).inbox;
    const j = JSON.parse(JSON.stringify(C.inboxToJSON(ib)));
    expect(C.inboxFromJSON(j)).toEqual(ib);
    await rejects(() => C.inboxFromJSON({ ...j, v: 2 }), 'bad_version');
    await rejects(() => C.inboxFromJSON({ ...j, held: [j.held[1], j.held[0]] }), 'bad_state');
    await rejects(() => C.inboxFromJSON({ ...j, delivered: -1 }), 'bad_state');
    await rejects(() => C.inboxFromJSON(null), 'bad_state');
  });
});

describe('Outbox', () => {
  it('keeps unacked frames, acks are cumulative, resend by range', async () => {
    let ob = C.newOutbox();
    for (let i = 0; i < 5; i++) ob = C.outboxPush(ob, 0x10, new Uint8Array([i])).outbox;
    expect(ob.unacked.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(C.outboxResend(ob, { from: 2, to: 3 }).map((i) => i.seq)).toEqual([2, 3]);
    ob = C.outboxAck(ob, 3);
    expect(ob.unacked.map((i) => i.seq)).toEqual([4, 5]);
    expect(C.outboxAck(ob, 99)).toBe(ob); // ack beyond what we sent: ignored
    const j = JSON.parse(JSON.stringify(C.outboxToJSON(ob)));
    expect(C.outboxFromJSON(j)).toEqual(ob);
    await rejects(() => C.outboxFromJSON({ ...j, nextSeq: 0 }), 'bad_state');
    await rejects(() => C.outboxPush(ob, 0x01, new Uint8Array()), 'bad_frame');
  });
});

describe('Frame', () => {
  it('padding buckets (Padmé, 256 B floor) and strict decoding', async () => {
    expect([0, 256, 257, 1037, 5000, 70000].map(C.paddedLength)).toEqual([256, 256, 272, 1088, 5120, 71680]);
    const f: C.Frame = { seq: 3, ack: 2, type: 0x10, payload: new Uint8Array(1024).fill(7) };
    const enc = C.encodeFrame(f);
    expect(enc.length).toBe(1088);
    expect(C.decodeFrame(enc)).toEqual(f);
    const bad = enc.slice();
    bad[enc.length - 1] = 1;
    await rejects(() => C.decodeFrame(bad), 'bad_frame');
    await rejects(() => C.decodeFrame(enc.slice(0, 1087)), 'bad_frame');
    await rejects(() => C.encodeFrame({ ...f, seq: 0 }), 'bad_frame');
    const rs = C.encodeFrame(C.resendFrame({ from: 2, to: 5 }, 1));
    expect(C.parseResend(C.decodeFrame(rs))).toEqual({ from: 2, to: 5 });
  });
});
