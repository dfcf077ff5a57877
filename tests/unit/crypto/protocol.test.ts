import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { concat, toHex, equalBytes } from '../../../src/lib/crypto/bytes.js';
import { LABEL } from '../../../src/lib/crypto/kdf.js';
import { appFrame, backends, makePair, rejects, seededRng, text } from './helpers.js';

const NOW = 1_700_000_000_000;
const DAY = 24 * 3600 * 1000;
const ser = C.serializeSession;

/** Re-sign a tampered handshake message body with the sender's real key (a malicious *peer*). */
async function resign(backend: C.CryptoBackend, id: C.Identity, label: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
  return backend.ed25519Sign(id.sign, concat(label, body));
}

describe.each(backends.map((b) => [b.name, b] as const))('handshake + ratchet (%s)', (_n, backend) => {
  it('both sides agree; either side may send first; fingerprints match', async () => {
    const p = await makePair(backend);
    expect(p.request.length).toBe(C.REQUEST_LEN);
    expect(p.accept.length).toBe(C.ACCEPT_LEN);
    expect(toHex(C.fingerprint(p.a))).toBe(toHex(C.fingerprint(p.b)));
    expect(C.fingerprint(p.a).length).toBe(32);
    // acceptor first (initial chain), then initiator
    let { session: b, envelope } = C.encrypt(p.b, appFrame(1, 'hi from B'), NOW);
    const d = await C.decrypt(backend, p.a, envelope, NOW);
    expect(text(d.frame)).toBe('hi from B');
    expect(p.b.confirmed).toBe(false);
    const e2 = C.encrypt(d.session, appFrame(1, 'hi from A'), NOW);
    const d2 = await C.decrypt(backend, b, e2.envelope, NOW);
    expect(text(d2.frame)).toBe('hi from A');
    expect(d2.session.confirmed).toBe(true); // the initiator's first message is its key confirmation
    b = d2.session;
    void b;
  });

  it('inputs are never mutated (immutable-style API)', async () => {
    const p = await makePair(backend);
    const before = ser(p.a);
    const e = C.encrypt(p.a, appFrame(1, 'x'), NOW);
    expect(ser(p.a)).toEqual(before);
    const bBefore = ser(p.b);
    await C.decrypt(backend, p.b, e.envelope, NOW);
    expect(ser(p.b)).toEqual(bBefore);
  });

  it('out-of-order within and across chains; replays rejected', async () => {
    let { a, b } = await makePair(backend);
    const envs: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      const r = C.encrypt(a, appFrame(i + 1, `m${i}`), NOW);
      a = r.session;
      envs.push(r.envelope);
    }
    // B answers after seeing only m4 -> A ratchets; then A sends on a new chain
    let d = await C.decrypt(backend, b, envs[4], NOW);
    b = d.session;
    expect(b.skipped.length).toBe(4);
    const rb = C.encrypt(b, appFrame(1, 'reply'), NOW);
    b = rb.session;
    a = (await C.decrypt(backend, a, rb.envelope, NOW)).session;
    const ra = C.encrypt(a, appFrame(6, 'new chain'), NOW);
    a = ra.session;
    d = await C.decrypt(backend, b, ra.envelope, NOW);
    b = d.session;
    expect(text(d.frame)).toBe('new chain');
    for (const i of [2, 0, 3, 1]) {
      d = await C.decrypt(backend, b, envs[i], NOW);
      b = d.session;
      expect(text(d.frame)).toBe(`m${i}`);
    }
    expect(b.skipped.length).toBe(0);
    for (const e of [...envs, ra.envelope]) await rejects(C.decrypt(backend, b, e, NOW), 'replay');
  });

  it('typed envelope rejections leave state unchanged', async () => {
    const p = await makePair(backend);
    const other = await makePair(backend, C.randomBytes, { alice: p.alice, bob: p.bob }); // 2nd chat, same devices
    const e = C.encrypt(p.a, appFrame(1, 'x'), NOW).envelope;
    const before = ser(p.b);
    await rejects(C.decrypt(backend, other.b, e, NOW), 'wrong_chat');
    await rejects(C.decrypt(backend, p.a, e, NOW), 'wrong_direction'); // reflected back to the sender
    await rejects(C.decrypt(backend, p.b, e.slice(0, 100), NOW), 'malformed');
    await rejects(C.decrypt(backend, p.b, e.slice(0, 1), NOW), 'malformed');
    const v = e.slice();
    v[0] = 2;
    await rejects(C.decrypt(backend, p.b, v, NOW), 'bad_version');
    const t = e.slice();
    t[t.length - 1] ^= 1;
    await rejects(C.decrypt(backend, p.b, t, NOW), 'decrypt_failed');
    const h = e.slice();
    h[55] ^= 0x80; // n := huge
    await rejects(C.decrypt(backend, p.b, h, NOW), 'too_far_ahead');
    expect(ser(p.b)).toEqual(before);
    expect(text((await C.decrypt(backend, p.b, e, NOW)).frame)).toBe('x');
  });

  it('low-order ratchet key in an envelope -> low_order', async () => {
    const p = await makePair(backend);
    const e = C.encrypt(p.a, appFrame(1, 'x'), NOW).envelope;
    for (const lo of [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'
    ]) {
      const m = e.slice();
      m.set(C.fromHex(lo), 19);
      await rejects(C.decrypt(backend, p.b, m, NOW), 'low_order');
    }
  });

  it('counter jump limit (MAX_SKIP) and pn jump limit', async () => {
    let { a, b } = await makePair(backend);
    let last!: Uint8Array;
    for (let i = 0; i <= C.LIMITS.maxSkipPerChain + 1; i++) {
      const r = C.encrypt(a, appFrame(i + 1, 'x'), NOW);
      a = r.session;
      last = r.envelope;
    }
    await rejects(C.decrypt(backend, b, last, NOW), 'too_far_ahead');
    // exactly maxSkipPerChain skipped keys is fine
    const r = await C.decrypt(backend, b, C.encrypt(a, appFrame(9999, 'y'), NOW).envelope, NOW).catch((e) => e);
    expect(C.isProtocolError(r, 'too_far_ahead')).toBe(true);
  });

  it('skipped keys expire after 7 days (-> replay) and are bounded', async () => {
    let { a, b } = await makePair(backend);
    const envs: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const r = C.encrypt(a, appFrame(i + 1, `m${i}`), NOW);
      a = r.session;
      envs.push(r.envelope);
    }
    b = (await C.decrypt(backend, b, envs[2], NOW)).session;
    expect(b.skipped.length).toBe(2);
    // within TTL: works
    expect(text((await C.decrypt(backend, b, envs[0], NOW + 6 * DAY)).frame)).toBe('m0');
    // after TTL: the key is gone
    await rejects(C.decrypt(backend, b, envs[1], NOW + 8 * DAY), 'replay');
  });

  it('total skipped keys bounded across chains', async () => {
    let { a, b } = await makePair(backend);
    // three rounds of 900 skipped messages -> total would be 2700 > 2000
    for (let round = 0; round < 3; round++) {
      let last!: Uint8Array;
      for (let i = 0; i < 901; i++) {
        const r = C.encrypt(a, appFrame(1, 'x'), NOW);
        a = r.session;
        last = r.envelope;
      }
      b = (await C.decrypt(backend, b, last, NOW)).session;
      const rb = C.encrypt(b, appFrame(1, 'y'), NOW);
      b = rb.session;
      a = (await C.decrypt(backend, a, rb.envelope, NOW)).session;
    }
    expect(b.skipped.length).toBeLessThanOrEqual(C.LIMITS.maxSkippedTotal);
    expect(b.skipped.length).toBe(C.LIMITS.maxSkippedTotal);
  });

  it('forward secrecy and post-compromise recovery', async () => {
    let { a, b } = await makePair(backend);
    const stolenB = C.deserializeSession(ser(b)); // attacker snapshot of B
    const r1 = C.encrypt(a, appFrame(1, 'before'), NOW);
    a = r1.session;
    b = (await C.decrypt(backend, b, r1.envelope, NOW)).session;
    // FS: B's new state cannot re-derive the consumed key
    await rejects(C.decrypt(backend, b, r1.envelope, NOW), 'replay');
    // a full DH round trip heals: B -> A -> B with fresh ratchet keys
    const r2 = C.encrypt(b, appFrame(1, 'b'), NOW);
    b = r2.session;
    a = (await C.decrypt(backend, a, r2.envelope, NOW)).session;
    const r3 = C.encrypt(a, appFrame(2, 'after'), NOW);
    // the stolen state still follows the chain it knew, but cannot decrypt post-healing traffic
    let s = stolenB;
    s = (await C.decrypt(backend, s, r1.envelope, NOW)).session; // passive attacker can read 'before'
    await rejects(C.decrypt(backend, s, r3.envelope, NOW), 'decrypt_failed');
    expect(text((await C.decrypt(backend, b, r3.envelope, NOW)).frame)).toBe('after');
  });

  it('handshake rejections', async () => {
    const rng = C.randomBytes;
    const alice = await C.generateIdentity(backend),
      bob = await C.generateIdentity(backend),
      eve = await C.generateIdentity(backend);
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), rng);
    await rejects(C.acceptRequest(backend, eve, request), 'wrong_recipient');
    await rejects(C.acceptRequest(backend, bob, request, { expectedPeer: C.publicIdentity(eve) }), 'identity_mismatch');
    const badSig = request.slice();
    badSig[badSig.length - 1] ^= 1;
    await rejects(C.acceptRequest(backend, bob, badSig), 'bad_signature');
    await rejects(C.acceptRequest(backend, bob, request.slice(0, 500)), 'malformed');
    const v = request.slice();
    v[0] = 9;
    await rejects(C.acceptRequest(backend, bob, v), 'bad_version');
    await rejects(C.acceptRequest(backend, bob, concat(request, new Uint8Array(1))), 'malformed');

    const { accept } = await C.acceptRequest(backend, bob, request);
    await rejects(C.completeHandshake(backend, eve, pending, accept), 'identity_mismatch');
    const wrongChat = accept.slice();
    wrongChat[2] ^= 1;
    await rejects(C.completeHandshake(backend, alice, pending, wrongChat), 'wrong_chat');
    const { pending: pending2 } = await C.createRequest(backend, alice, C.publicIdentity(bob), rng);
    await rejects(C.completeHandshake(backend, alice, { ...pending2, chatId: pending.chatId }, accept), 'transcript_mismatch');
    const badConfirm = accept.slice();
    badConfirm[badConfirm.length - 1] ^= 1;
    await rejects(C.completeHandshake(backend, alice, pending, badConfirm), 'key_confirmation');
    await rejects(C.completeHandshake(backend, alice, pending, accept.slice(0, 1265)), 'malformed');

    // Malicious-but-authentic peers (they sign what they send):
    // low-order EKa in a request
    const lo = C.fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157');
    const reqBody = request.slice(0, 1362);
    reqBody.set(lo, 146);
    await rejects(C.acceptRequest(backend, bob, concat(reqBody, await resign(backend, alice, LABEL.requestSig, reqBody))), 'low_order');
    // non-reduced ML-KEM public key (coefficient >= q) in a request
    const badPk = request.slice(0, 1362);
    badPk.fill(0xff, 178, 178 + 384);
    await rejects(C.acceptRequest(backend, bob, concat(badPk, await resign(backend, alice, LABEL.requestSig, badPk))), 'bad_kem');
    // well-formed garbage KEM ciphertext: implicit rejection -> caught by the confirmation tag
    const accBody = accept.slice(0, 1170);
    accBody[100] ^= 0x55;
    const forged = concat(accBody, await resign(backend, bob, LABEL.acceptSig, accBody), accept.slice(1234));
    await rejects(C.completeHandshake(backend, alice, pending, forged), 'key_confirmation');
    // low-order EKb in an accept
    const accLo = accept.slice(0, 1170);
    accLo.set(lo, 50);
    await rejects(C.completeHandshake(backend, alice, pending, concat(accLo, await resign(backend, bob, LABEL.acceptSig, accLo), accept.slice(1234))), 'low_order');
  });

  it('many chats between the same two devices are independent', async () => {
    const p1 = await makePair(backend);
    const p2 = await makePair(backend, C.randomBytes, { alice: p1.alice, bob: p1.bob });
    expect(equalBytes(p1.a.chatId, p2.a.chatId)).toBe(false);
    expect(toHex(C.fingerprint(p1.a))).not.toBe(toHex(C.fingerprint(p2.a)));
    const e = C.encrypt(p2.a, appFrame(1, 'chat2'), NOW).envelope;
    expect(text((await C.decrypt(backend, p2.b, e, NOW)).frame)).toBe('chat2');
  });
});

describe('cross-backend interop', () => {
  it('webcrypto initiator <-> noble acceptor, deterministic outputs identical', async () => {
    const [wc, nb] = backends;
    const run = async (ba: C.CryptoBackend, bb: C.CryptoBackend) => {
      const rng = seededRng('interop');
      const alice = await C.generateIdentity(ba, rng),
        bob = await C.generateIdentity(bb, rng);
      const { request, pending } = await C.createRequest(ba, alice, C.publicIdentity(bob), rng);
      const { accept, session: b } = await C.acceptRequest(bb, bob, request, { rng });
      const a = await C.completeHandshake(ba, alice, pending, accept, rng);
      const r = C.encrypt(a, appFrame(1, 'x'), NOW);
      const d = await C.decrypt(bb, b, r.envelope, NOW, rng);
      return [request, accept, r.envelope, ser(a), ser(d.session)].map(toHex);
    };
    const x = await run(wc, nb),
      y = await run(nb, wc),
      z = await run(wc, wc);
    expect(x).toEqual(y);
    expect(x).toEqual(z);
  });
});

describe('MITM', () => {
  const backend = backends[0];
  it('substituting ephemeral / KEM keys is caught by the signatures', async () => {
    const alice = await C.generateIdentity(backend),
      bob = await C.generateIdentity(backend);
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
    const mallory = await backend.x25519Keygen();
    const subEk = request.slice();
    subEk.set(mallory.pub, 146);
    await rejects(C.acceptRequest(backend, bob, subEk), 'bad_signature');
    const subKem = request.slice();
    subKem.set(C.randomBytes(1184), 178);
    await rejects(C.acceptRequest(backend, bob, subKem), 'bad_signature');
    const { accept } = await C.acceptRequest(backend, bob, request);
    const subEkb = accept.slice();
    subEkb.set(mallory.pub, 50);
    await rejects(C.completeHandshake(backend, alice, pending, subEkb), 'bad_signature');
    const subCt = accept.slice();
    subCt.set(C.randomBytes(1088), 82);
    await rejects(C.completeHandshake(backend, alice, pending, subCt), 'bad_signature');
    // forwarding A's request to another device, re-targeted, breaks A's signature
    const carol = await C.generateIdentity(backend);
    const retarget = request.slice();
    retarget.set(carol.sign.pub, 82);
    retarget.set(carol.dh.pub, 114);
    await rejects(C.acceptRequest(backend, carol, retarget), 'bad_signature');
  });

  it('MITM with its own identity (lying relay) -> the two ends see different fingerprints', async () => {
    const alice = await C.generateIdentity(backend),
      bob = await C.generateIdentity(backend),
      mal = await C.generateIdentity(backend);
    // relay tells Alice that Mallory's identity is Bob's, and Bob that Mallory's is Alice's
    const r1 = await C.createRequest(backend, alice, C.publicIdentity(mal));
    const m1 = await C.acceptRequest(backend, mal, r1.request);
    const a = await C.completeHandshake(backend, alice, r1.pending, m1.accept);
    const r2 = await C.createRequest(backend, mal, C.publicIdentity(bob));
    const b2 = await C.acceptRequest(backend, bob, r2.request);
    await C.completeHandshake(backend, mal, r2.pending, b2.accept);
    // Mallory relays traffic fine, but the out-of-band comparison fails:
    expect(toHex(C.fingerprint(a))).not.toBe(toHex(C.fingerprint(b2.session)));
    expect(C.samePublicIdentity(a.remoteIdentity, C.publicIdentity(bob))).toBe(false);
  });
});

describe('persistence', () => {
  const backend = backends[0];
  it('session, pending and identity round-trip', async () => {
    const rng = seededRng('persist');
    const alice = await C.generateIdentity(backend, rng),
      bob = await C.generateIdentity(backend, rng);
    expect(C.serializeIdentity(await C.deserializeIdentity(C.serializeIdentity(alice), backend))).toEqual(C.serializeIdentity(alice));
    expect(C.decodePublicIdentity(C.encodePublicIdentity(C.publicIdentity(bob)))).toEqual(C.publicIdentity(bob));
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), rng);
    const pend2 = C.deserializePending(C.serializePending(pending));
    expect(C.serializePending(pend2)).toEqual(C.serializePending(pending));
    const { accept, session: b } = await C.acceptRequest(backend, bob, request, { rng });
    let a = await C.completeHandshake(backend, alice, pend2, accept, rng);
    // build up skipped keys and past keys, then round-trip
    const e1 = C.encrypt(a, appFrame(1, '1'), NOW);
    const e2 = C.encrypt(e1.session, appFrame(2, '2'), NOW);
    a = e2.session;
    const d = await C.decrypt(backend, b, e2.envelope, NOW);
    const restored = C.deserializeSession(ser(d.session));
    expect(ser(restored)).toEqual(ser(d.session));
    expect(text((await C.decrypt(backend, restored, e1.envelope, NOW)).frame)).toBe('1');
  });

  it('malformed state rejected', async () => {
    const p = await makePair(backend);
    const s = ser(p.a);
    await rejects(() => C.deserializeSession(s.slice(0, s.length - 1)), 'bad_state');
    await rejects(() => C.deserializeSession(concat(s, new Uint8Array(1))), 'bad_state');
    const v = s.slice();
    v[0] = 3; // 1 and 2 are known versions
    await rejects(() => C.deserializeSession(v), 'bad_version');
    v[0] = 2; // v2 without the seal flag byte: truncated
    await rejects(() => C.deserializeSession(v), 'bad_state');
    const k = s.slice();
    k[1] = 0x50;
    await rejects(() => C.deserializeSession(k), 'bad_state');
    const role = s.slice();
    role[2] = 7;
    await rejects(() => C.deserializeSession(role), 'bad_state');
    await rejects(() => C.deserializeSession(new Uint8Array(0)), 'bad_state');
    // count field lying about the number of skipped keys
    const lie = s.slice();
    lie.set([0, 0, 0x10, 0], lie.length - 4);
    await rejects(() => C.deserializeSession(lie), 'bad_state');
    const id = C.serializeIdentity(p.alice);
    const idBad = id.slice();
    idBad[40] ^= 1; // Ed25519 public key no longer matches the seed
    await rejects(() => C.deserializeIdentity(idBad, backend), 'bad_state');
    await rejects(() => C.deserializePending(new Uint8Array([1, 0x50, 0])), 'bad_state');
  });
});
