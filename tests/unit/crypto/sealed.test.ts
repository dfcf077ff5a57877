/** Protocol version 2: versioned handshake with seal seeds, mailbox derivations, sealed envelopes. */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { concat, utf8 } from '../../../src/lib/crypto/bytes.js';
import { appFrame, backends, rejects, seededRng, text } from './helpers.js';

const NOW = 1_700_000_000_000;
const backend = backends[1];

async function pair(version: 1 | 2, seed = 'sealed') {
  const rng = seededRng(seed);
  const alice = await C.generateIdentity(backend, rng);
  const bob = await C.generateIdentity(backend, rng);
  const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), { rng, version });
  const { accept, session: b } = await C.acceptRequest(backend, bob, request, { rng });
  const a = await C.completeHandshake(backend, alice, pending, accept, rng);
  return { alice, bob, request, accept, pending, a, b, rng };
}

const nodeHmac = (key: Uint8Array, ...parts: Uint8Array[]) =>
  new Uint8Array(
    createHmac('sha256', key)
      .update(concat(...parts))
      .digest()
  );
const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

describe('handshake version', () => {
  it('version 1 stays the default: byte 0 is 1 and the sessions have no seal', async () => {
    const p = await pair(1);
    expect([p.request[0], p.accept[0]]).toEqual([1, 1]);
    expect(C.parseRequest(p.request).version).toBe(1);
    expect(C.parseAccept(p.accept).version).toBe(1);
    expect(p.pending.version).toBe(1);
    expect(p.a.seal).toBeNull();
    expect(p.b.seal).toBeNull();
    // the old fourth argument (an rng) still works and gives the same bytes
    const rng = seededRng('sealed');
    const alice = await C.generateIdentity(backend, rng);
    const bob = await C.generateIdentity(backend, rng);
    expect((await C.createRequest(backend, alice, C.publicIdentity(bob), rng)).request).toEqual(p.request);
  });

  it('version 2: the accept answers with 2 and both sides hold mirrored, distinct seeds', async () => {
    const p = await pair(2);
    expect([p.request[0], p.accept[0]]).toEqual([2, 2]);
    expect(C.parseRequest(p.request).version).toBe(2);
    expect(C.parseAccept(p.accept).version).toBe(2);
    expect(p.pending.version).toBe(2);
    expect(p.a.seal!.send).toEqual(p.b.seal!.recv);
    expect(p.a.seal!.recv).toEqual(p.b.seal!.send);
    expect(p.a.seal!.send).not.toEqual(p.a.seal!.recv);
    expect(p.a.seal!.send).toHaveLength(32);
    // no seed equals a key of the ratchet
    for (const k of [p.b.rootKey, p.b.sending.chainKey]) for (const s of [p.a.seal!.send, p.a.seal!.recv]) expect(s).not.toEqual(k);
  });

  it('the same inputs at version 1 and 2 give different transcripts and keys', async () => {
    const [p1, p2] = [await pair(1, 'same'), await pair(2, 'same')];
    expect(p2.request.subarray(1, C.REQUEST_LEN - 64)).toEqual(p1.request.subarray(1, C.REQUEST_LEN - 64));
    expect(p2.a.transcriptHash).not.toEqual(p1.a.transcriptHash);
    expect(p2.b.rootKey).not.toEqual(p1.b.rootKey);
  });

  it('an ACCEPT of another version is bad_version, an unknown version byte too', async () => {
    for (const v of [1, 2] as const) {
      const p = await pair(v, 'mismatch');
      const other = p.accept.slice();
      other[0] = v === 1 ? 2 : 1;
      await rejects(C.completeHandshake(backend, p.alice, p.pending, other, p.rng), 'bad_version');
    }
    const p = await pair(2, 'unknown');
    for (const bad of [0, 3, 255]) {
      const req = p.request.slice();
      req[0] = bad;
      await rejects(() => C.parseRequest(req), 'bad_version');
      await rejects(C.acceptRequest(backend, p.bob, req), 'bad_version');
      const acc = p.accept.slice();
      acc[0] = bad;
      await rejects(() => C.parseAccept(acc), 'bad_version');
    }
    await rejects(C.createRequest(backend, p.alice, C.publicIdentity(p.bob), { version: 3 as 2 }), 'bad_version');
  });

  it('a relay cannot change the version in flight: the signatures cover it', async () => {
    const p = await pair(2, 'downgrade');
    const req = p.request.slice();
    req[0] = 1;
    await rejects(C.acceptRequest(backend, p.bob, req), 'bad_signature');
  });
});

describe('state with seal seeds', () => {
  it('a version-2 session serializes as state version 2 and round-trips its seeds', async () => {
    const p = await pair(2);
    for (const s of [p.a, p.b]) {
      const bytes = C.serializeSession(s);
      expect(bytes[0]).toBe(2);
      const back = C.deserializeSession(bytes);
      expect(back.seal).toEqual(s.seal);
      expect(C.serializeSession(back)).toEqual(bytes);
    }
    expect(C.STATE_VERSION).toBe(2);
  });

  it('a version-1 session is still written as state version 1 (byte for byte) and read back with no seal', async () => {
    const p = await pair(1);
    const bytes = C.serializeSession(p.a);
    expect(bytes[0]).toBe(1);
    expect(C.deserializeSession(bytes).seal).toBeNull();
    // the same session in the version-2 layout with the flag 0 reads the same
    const v2 = concat(new Uint8Array([2]), bytes.subarray(1), new Uint8Array([0]));
    expect(C.serializeSession(C.deserializeSession(v2))).toEqual(bytes);
  });

  it('malformed seal parts are bad_state', async () => {
    const p = await pair(2);
    const bytes = C.serializeSession(p.a);
    await rejects(() => C.deserializeSession(bytes.subarray(0, bytes.length - 1)), 'bad_state');
    await rejects(() => C.deserializeSession(concat(bytes, new Uint8Array(1))), 'bad_state');
    const flag = bytes.slice();
    flag[bytes.length - 65] = 2;
    await rejects(() => C.deserializeSession(flag), 'bad_state');
    const v1 = bytes.slice();
    v1[0] = 1; // a version-1 state has no seal bytes: trailing
    await rejects(() => C.deserializeSession(v1), 'bad_state');
  });

  it('a pending version-2 handshake survives serialization and completes sealed', async () => {
    const rng = seededRng('pending-v2');
    const alice = await C.generateIdentity(backend, rng);
    const bob = await C.generateIdentity(backend, rng);
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), { rng, version: 2 });
    const restored = C.deserializePending(C.serializePending(pending));
    expect(restored.version).toBe(2);
    const { accept, session: b } = await C.acceptRequest(backend, bob, request, { rng });
    const a = await C.completeHandshake(backend, alice, restored, accept, rng);
    expect(a.seal!.send).toEqual(b.seal!.recv);
  });

  it('clone copies the seeds and zeroize wipes them', async () => {
    const p = await pair(2);
    const copy = C.cloneSession(p.a);
    expect(copy.seal).toEqual(p.a.seal);
    C.zeroizeSession(copy);
    expect(copy.seal!.send.every((b) => b === 0) && copy.seal!.recv.every((b) => b === 0)).toBe(true);
    expect(p.a.seal!.send.some((b) => b !== 0)).toBe(true);
  });
});

describe('mailbox derivations', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i);

  it('epochOf is the UTC day number', () => {
    expect(C.EPOCH_MS).toBe(86_400_000);
    expect(C.epochOf(0)).toBe(0);
    expect(C.epochOf(86_399_999)).toBe(0);
    expect(C.epochOf(86_400_000)).toBe(1);
    expect(C.epochOf(NOW)).toBe(19675);
  });

  it('matches an independent HMAC (node:crypto, as the relay computes it)', () => {
    const k = C.mailboxKeys(seed, 19675);
    expect(k.mailbox).toEqual(nodeHmac(seed, utf8('Cinder/v2/mailbox'), u32(19675)).subarray(0, 16));
    expect(k.cap).toEqual(nodeHmac(seed, utf8('Cinder/v2/cap'), u32(19675)));
    expect(k.header).toEqual(nodeHmac(seed, utf8('Cinder/v2/header'), u32(19675)));
    expect(C.headerKey(seed, 19675)).toEqual(k.header);
    const body = utf8('opaque body');
    expect(C.capMac(k.cap, 'id-1', body)).toEqual(nodeHmac(k.cap, utf8('Cinder/v2/post'), utf8('id-1'), new Uint8Array([0]), body));
    expect(C.blobToken(k.cap)).toEqual(nodeHmac(k.cap, utf8('Cinder/v2/blob')));
  });

  it('every day and every seed gives other keys; the id ends the MAC input', () => {
    const seen = new Set<string>();
    for (const s of [seed, seed.map((b) => b ^ 1)])
      for (const e of [0, 19675, 19676, 0xffffffff]) {
        const k = C.mailboxKeys(s, e);
        for (const v of [k.mailbox, k.cap, k.header]) seen.add(C.toHex(v));
      }
    expect(seen.size).toBe(24);
    const cap = C.mailboxKeys(seed, 1).cap;
    expect(C.capMac(cap, 'ab', utf8('c'))).not.toEqual(C.capMac(cap, 'a', utf8('bc')));
  });

  it('rejects bad inputs', async () => {
    await rejects(() => C.mailboxKeys(seed.subarray(0, 31), 1), 'malformed');
    await rejects(() => C.mailboxKeys(seed, -1), 'limit');
    await rejects(() => C.mailboxKeys(seed, 2 ** 32), 'limit');
    await rejects(() => C.mailboxKeys(seed, 1.5), 'limit');
    await rejects(() => C.headerKey(seed.subarray(0, 31), 1), 'malformed');
    await rejects(() => C.headerKey(seed, -1), 'limit');
    await rejects(() => C.capMac(seed.subarray(1), 'x', new Uint8Array()), 'malformed');
    await rejects(() => C.capMac(seed, 'x\0y', new Uint8Array()), 'malformed');
    await rejects(() => C.blobToken(new Uint8Array(16)), 'malformed');
  });
});

describe('sealed envelopes', () => {
  const e = C.epochOf(NOW);

  it('both directions: seal with the send seed, unseal with the peer recv seed, decrypt as usual', async () => {
    const p = await pair(2);
    let { a, b } = p;
    for (let i = 1; i <= 4; i++) {
      const [from, to] = i % 2 ? [a, b] : [b, a];
      const r = C.encrypt(from, appFrame(i, `m${i}`), NOW);
      const sealed = C.sealEnvelope(r.envelope, C.mailboxKeys(from.seal!.send, e).header);
      expect(sealed.length).toBe(r.envelope.length + C.SEALED_OVERHEAD);
      expect([sealed[0], sealed[1]]).toEqual([2, 4]);
      // neither the chat id nor the ratchet key is readable any more
      const hex = C.toHex(sealed);
      expect(hex.includes(C.toHex(from.chatId))).toBe(false);
      expect(hex.includes(C.toHex(from.ratchetKey.pub))).toBe(false);
      const plain = C.unsealEnvelope(sealed, C.mailboxKeys(to.seal!.recv, e).header);
      expect(plain).toEqual(r.envelope);
      const d = await C.decrypt(backend, to, plain, NOW);
      expect(text(d.frame)).toBe(`m${i}`);
      if (i % 2) [a, b] = [r.session, d.session];
      else [b, a] = [r.session, d.session];
    }
  });

  it('random nonces: the same envelope seals differently each time', async () => {
    const p = await pair(2);
    const env = C.encrypt(p.a, appFrame(1, 'x'), NOW).envelope;
    const hk = C.mailboxKeys(p.a.seal!.send, e).header;
    expect(C.sealEnvelope(env, hk)).not.toEqual(C.sealEnvelope(env, hk));
  });

  it('another key (day, direction, chat) or any altered header byte is bad_header', async () => {
    const p = await pair(2);
    const q = await pair(2, 'another chat');
    const env = C.encrypt(p.a, appFrame(1, 'x'), NOW).envelope;
    const sealed = C.sealEnvelope(env, C.mailboxKeys(p.a.seal!.send, e).header);
    const right = C.mailboxKeys(p.b.seal!.recv, e).header;
    for (const key of [
      C.mailboxKeys(p.b.seal!.recv, e + 1).header, // another day
      C.mailboxKeys(p.a.seal!.recv, e).header, // reflected to its sender
      C.mailboxKeys(q.b.seal!.recv, e).header, // another chat
      C.mailboxKeys(p.b.seal!.recv, e).cap // the relay's key
    ])
      await rejects(() => C.unsealEnvelope(sealed, key), 'bad_header');
    for (const i of [2, 25, 26, 60, 100]) {
      const bad = sealed.slice();
      bad[i] ^= 1;
      await rejects(() => C.unsealEnvelope(bad, right), 'bad_header');
    }
    // the ciphertext is the inner AEAD's business: unsealing passes, decrypt refuses
    const body = sealed.slice();
    body[C.SEALED_HEADER_LEN + 5] ^= 1;
    await rejects(C.decrypt(backend, p.b, C.unsealEnvelope(body, right), NOW), 'decrypt_failed');
    expect(text((await C.decrypt(backend, p.b, C.unsealEnvelope(sealed, right), NOW)).frame)).toBe('x');
  });

  it('framing errors: version, kind, length, key length', async () => {
    const p = await pair(2);
    const env = C.encrypt(p.a, appFrame(1, 'x'), NOW).envelope;
    const hk = C.mailboxKeys(p.a.seal!.send, e).header;
    const sealed = C.sealEnvelope(env, hk);
    const v = sealed.slice();
    v[0] = 1;
    await rejects(() => C.unsealEnvelope(v, hk), 'bad_version');
    const k = sealed.slice();
    k[1] = 3;
    await rejects(() => C.unsealEnvelope(k, hk), 'malformed');
    await rejects(() => C.unsealEnvelope(sealed.subarray(0, C.MIN_SEALED_LEN - 1), hk), 'malformed');
    await rejects(() => C.unsealEnvelope(new Uint8Array(1), hk), 'malformed');
    await rejects(() => C.unsealEnvelope(sealed, hk.subarray(1)), 'malformed');
    await rejects(() => C.sealEnvelope(p.request, hk), 'malformed'); // not a message envelope
    await rejects(() => C.sealEnvelope(env.subarray(0, 300), hk), 'malformed');
    await rejects(() => C.sealEnvelope(sealed, hk), 'malformed'); // no double sealing
    await rejects(() => C.sealEnvelope(env, hk.subarray(1)), 'malformed');
    expect(C.unsealEnvelope(sealed, hk)).toEqual(env);
  });

  it('property: unseal(seal(env)) = env for any payload and key; any flipped sealed-header bit is refused', async () => {
    const p = await pair(2, 'property');
    await fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 101 * 8 - 1 }), (payload, key, bit) => {
        const env = C.encrypt(p.a, { seq: 1, ack: 0, type: 0x10, payload }, NOW).envelope;
        const sealed = C.sealEnvelope(env, key);
        expect(C.unsealEnvelope(sealed, key)).toEqual(env);
        const bad = sealed.slice();
        bad[bit >> 3] ^= 1 << (bit & 7);
        const code = bit < 8 ? 'bad_version' : bit < 16 ? 'malformed' : 'bad_header';
        expect(() => C.unsealEnvelope(bad, key)).toThrow(code);
      }),
      { numRuns: 200 }
    );
  });
});
