/**
 * Property tests (fast-check):
 *  1. Any interleaving of sends in both directions with drops, duplicates and reordering: every
 *     envelope decrypts at most once, the sequencer releases each app message exactly once and in
 *     order, and after a loss-free recovery phase (acks + resends) nothing is missing.
 *  2. Flipping any byte of any envelope is rejected with a ProtocolError and leaves the session
 *     state byte-for-byte unchanged; the untouched envelope still decrypts afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { makePair, seededRng } from './helpers.js';

const backend = C.webcryptoBackend({ fallback: C.nobleBackend() });
const NOW = 1_700_000_000_000;

interface Party {
  session: C.Session;
  inbox: C.Inbox;
  outbox: C.Outbox;
  released: number[]; // seqs released to the app, in order
}

type Cmd = { k: 'send'; from: 0 | 1 } | { k: 'deliver'; pick: number; dup: boolean } | { k: 'drop'; pick: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('send' as const), from: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ k: fc.constant('deliver' as const), pick: fc.nat(), dup: fc.boolean() }),
  fc.record({ k: fc.constant('drop' as const), pick: fc.nat() })
);

describe('property: lossy, duplicating, reordering network', () => {
  it('every message delivered exactly once, in order, losses recovered by resend', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 60 }), fc.string({ maxLength: 8 }), async (cmds, seed) => {
        const p = await makePair(backend, seededRng('prop' + seed));
        const parties: Party[] = [p.a, p.b].map((session) => ({ session, inbox: C.newInbox(), outbox: C.newOutbox(), released: [] }));
        const wire: { to: 0 | 1; env: Uint8Array }[] = [];
        const seen = new Set<string>(); // envelopes that decrypted successfully
        const sent = [0, 0];

        const send = (from: 0 | 1, frame: C.Frame) => {
          const me = parties[from];
          const r = C.encrypt(me.session, frame, NOW);
          me.session = r.session;
          wire.push({ to: (1 - from) as 0 | 1, env: r.envelope });
        };
        const receive = async (to: 0 | 1, env: Uint8Array) => {
          const me = parties[to];
          const before = C.serializeSession(me.session);
          let d: C.DecryptResult;
          try {
            d = await C.decrypt(backend, me.session, env, NOW);
          } catch (e) {
            expect(C.isProtocolError(e, 'replay')).toBe(true); // only duplicates may fail here
            expect(C.serializeSession(me.session)).toEqual(before);
            return;
          }
          const id = C.toHex(env);
          expect(seen.has(id)).toBe(false); // decrypted at most once
          seen.add(id);
          me.session = d.session;
          me.outbox = C.outboxAck(me.outbox, d.frame.ack);
          if (d.frame.type === C.FrameType.ACK) return;
          if (d.frame.type === C.FrameType.RESEND) {
            for (const it of C.outboxResend(me.outbox, C.parseResend(d.frame))) send(to, C.dataFrame(it, C.inboxAck(me.inbox)));
            return;
          }
          const r = C.inboxReceive(me.inbox, d.frame);
          me.inbox = r.inbox;
          me.released.push(...r.release.map((i) => i.seq));
          for (const g of r.resend) send(to, C.resendFrame(g, C.inboxAck(me.inbox)));
        };

        for (const c of cmds) {
          if (c.k === 'send') {
            const me = parties[c.from];
            const { outbox, item } = C.outboxPush(me.outbox, 0x10, new Uint8Array([++sent[c.from]]));
            me.outbox = outbox;
            send(c.from, C.dataFrame(item, C.inboxAck(me.inbox)));
          } else if (wire.length) {
            const i = c.pick % wire.length;
            const m = wire[i];
            if (c.k === 'drop' || !c.dup) wire.splice(i, 1);
            if (c.k === 'deliver') await receive(m.to, m.env);
          }
        }
        // Recovery: deliver everything left (in order, no loss), then ack + retransmit until quiet.
        for (let round = 0; round < 6; round++) {
          while (wire.length) {
            const m = wire.shift()!;
            await receive(m.to, m.env);
          }
          for (const i of [0, 1] as const) send(i, C.ackFrame(C.inboxAck(parties[i].inbox)));
          while (wire.length) {
            const m = wire.shift()!;
            await receive(m.to, m.env);
          }
          for (const i of [0, 1] as const) for (const it of C.outboxPending(parties[i].outbox)) send(i, C.dataFrame(it, C.inboxAck(parties[i].inbox)));
        }
        for (const i of [0, 1] as const) {
          const expected = Array.from({ length: sent[1 - i] }, (_, k) => k + 1);
          expect(parties[i].released).toEqual(expected);
          expect(parties[i].outbox.unacked).toEqual([]);
        }
      }),
      { numRuns: 60 }
    );
  }, 120_000);
});

describe('property: any single-byte modification is rejected without state change', () => {
  it('flip any byte of any envelope', async () => {
    // A short conversation with a DH step, skipped keys and both directions.
    let { a, b } = await makePair(backend, seededRng('flip'));
    const envs: { to: 'a' | 'b'; env: Uint8Array }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = C.encrypt(a, { seq: i + 1, ack: 0, type: 0x10, payload: new Uint8Array(i * 300) }, NOW);
      a = r.session;
      envs.push({ to: 'b', env: r.envelope });
    }
    b = (await C.decrypt(backend, b, envs[2].env, NOW)).session; // B holds skipped keys for 0, 1
    const rb = C.encrypt(b, { seq: 1, ack: 0, type: 0x10, payload: new Uint8Array(10) }, NOW);
    b = rb.session;
    envs.push({ to: 'a', env: rb.envelope });
    const rb2 = C.encrypt(b, { seq: 2, ack: 0, type: 0x10, payload: new Uint8Array(10) }, NOW);
    b = rb2.session;
    envs.push({ to: 'a', env: rb2.envelope });
    const targets = [envs[0], envs[1], envs[3], envs[4]];

    await fc.assert(
      fc.asyncProperty(fc.nat(targets.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), async (ti, pos, x) => {
        const { to, env } = targets[ti];
        const s = to === 'a' ? a : b;
        const before = C.serializeSession(s);
        const bad = env.slice();
        bad[pos % bad.length] ^= x;
        const err = await C.decrypt(backend, s, bad, NOW).then(
          () => null,
          (e) => e
        );
        expect(C.isProtocolError(err)).toBe(true);
        expect(C.serializeSession(s)).toEqual(before);
      }),
      { numRuns: 400 }
    );
    // the genuine envelopes still decrypt after all those rejections
    for (const { to, env } of targets) await C.decrypt(backend, to === 'a' ? a : b, env, NOW);
  }, 120_000);

  it('truncation at every length is rejected', async () => {
    const { a, b } = await makePair(backend, seededRng('trunc'));
    const env = C.encrypt(a, { seq: 1, ack: 0, type: 0x10, payload: new Uint8Array(5) }, NOW).envelope;
    const before = C.serializeSession(b);
    for (let n = 0; n < env.length; n += 7) {
      const err = await C.decrypt(backend, b, env.slice(0, n), NOW).then(
        () => null,
        (e) => e
      );
      expect(C.isProtocolError(err)).toBe(true);
    }
    expect(C.serializeSession(b)).toEqual(before);
  });
});
