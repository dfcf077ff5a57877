/**
 * Fuzzing the parsers that take bytes from the network or from storage: random bytes, random
 * lengths around the real ones, and single-field corruptions of valid encodings. Each parser may
 * return a value or throw a ProtocolError with a known code — never a TypeError, RangeError or any
 * other exception — and the QR parser never throws at all (it answers {ok:false, error}).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { parseAccept } from '../../../src/lib/crypto/handshake.js';
import { parseQrPayload, encodeQrPayload, QR_PREFIX } from '../../../src/lib/verify/qr-payload';
import { makePair, seededRng } from './helpers.js';

const CODES: ReadonlySet<C.ProtocolErrorCode> = new Set<C.ProtocolErrorCode>([
  'bad_version',
  'malformed',
  'bad_signature',
  'low_order',
  'bad_kem',
  'key_confirmation',
  'wrong_chat',
  'wrong_recipient',
  'identity_mismatch',
  'transcript_mismatch',
  'wrong_direction',
  'decrypt_failed',
  'bad_header',
  'replay',
  'too_far_ahead',
  'bad_frame',
  'bad_state',
  'limit',
  'backend_unavailable'
]);

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const backend = C.webcryptoBackend({ fallback: C.nobleBackend() });

/** Runs `f`; a thrown value must be a ProtocolError with a known code. */
async function typedOnly(what: string, f: () => unknown): Promise<'ok' | C.ProtocolErrorCode> {
  try {
    await f();
    return 'ok';
  } catch (e) {
    if (e instanceof C.ProtocolError && CODES.has(e.code)) return e.code;
    throw new Error(`${what} threw a non-protocol error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Random bytes, biased towards the interesting lengths and towards plausible first bytes. */
const bytesAround = (lengths: number[], prefixes: number[][]) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc
      .constantFrom(...lengths)
      .chain((n) => fc.integer({ min: Math.max(0, n - 3), max: n + 3 }))
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    fc
      .tuple(fc.constantFrom(...prefixes), fc.constantFrom(...lengths), fc.integer({ min: -2, max: 2 }))
      .chain(([p, n, d]) =>
        fc.uint8Array({ minLength: Math.max(0, n + d - p.length), maxLength: Math.max(0, n + d - p.length) }).map((rest) => Uint8Array.from([...p, ...rest]))
      )
  );

/** A valid encoding with bytes overwritten, truncated or extended. */
const corrupt = (valid: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
      const out = valid.slice();
      for (const [i, v] of edits) out[i] = v;
      return out;
    }),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((extra) => Uint8Array.from([...valid, ...extra])),
    // A length/count field set to something huge.
    fc.tuple(fc.nat({ max: Math.max(0, valid.length - 4) }), fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000, 33, 2001)).map(([i, v]) => {
      const out = valid.slice();
      new DataView(out.buffer).setUint32(i, v);
      return out;
    })
  );

describe('fuzz: protocol parsers only ever throw typed ProtocolErrors', async () => {
  const pair = await makePair(backend, seededRng('fuzz'));
  const { envelope } = C.encrypt(pair.a, { seq: 1, ack: 0, type: 0x10, payload: new Uint8Array(10) }, 0);
  const session = C.serializeSession(pair.a);
  const { pending } = await C.createRequest(backend, pair.alice, C.publicIdentity(pair.bob), seededRng('pending'));
  const pendingBytes = C.serializePending(pending);
  const frame = C.encodeFrame({ seq: 1, ack: 0, type: 0x10, payload: new Uint8Array([1, 2, 3]) });
  const publicId = C.encodePublicIdentity(C.publicIdentity(pair.alice));
  const secretId = C.serializeIdentity(pair.alice);
  // Version 2: handshake messages, a session with seal seeds, a sealed envelope.
  const v2rng = seededRng('fuzz v2');
  const v2 = await C.createRequest(backend, pair.alice, C.publicIdentity(pair.bob), { rng: v2rng, version: 2 });
  const v2b = await C.acceptRequest(backend, pair.bob, v2.request, { rng: v2rng });
  const v2a = await C.completeHandshake(backend, pair.alice, v2.pending, v2b.accept, v2rng);
  const headerKey = C.mailboxKeys(v2a.seal!.send, 1).header;
  const sealed = C.sealEnvelope(C.encrypt(v2a, { seq: 1, ack: 0, type: 0x10, payload: new Uint8Array(10) }, 0).envelope, headerKey, v2rng);
  const sessionV2 = C.serializeSession(v2a);

  const parsers: [string, (b: Uint8Array) => unknown, Uint8Array, number[]][] = [
    ['decodeEnvelope', C.decodeEnvelope, envelope, [0x01, 0x03]],
    ['parseRequest', C.parseRequest, pair.request, [0x01, 0x01]],
    ['parseAccept', parseAccept, pair.accept, [0x01, 0x02]],
    ['deserializeSession', C.deserializeSession, session, Array.from(session.slice(0, 2))],
    ['deserializePending', C.deserializePending, pendingBytes, Array.from(pendingBytes.slice(0, 2))],
    ['decodeFrame', C.decodeFrame, frame, []],
    ['decodePublicIdentity', C.decodePublicIdentity, publicId, Array.from(publicId.slice(0, 2))],
    ['deserializeIdentity', (b) => C.deserializeIdentity(b, backend), secretId, Array.from(secretId.slice(0, 2))],
    ['parseRequest v2', C.parseRequest, v2.request, [0x02, 0x01]],
    ['parseAccept v2', parseAccept, v2b.accept, [0x02, 0x02]],
    ['deserializeSession v2', C.deserializeSession, sessionV2, Array.from(sessionV2.slice(0, 2))],
    ['unsealEnvelope', (b) => C.unsealEnvelope(b, headerKey), sealed, [0x02, 0x04]]
  ];

  for (const [name, parse, valid, prefix] of parsers) {
    it(`${name}: random bytes and corrupted valid encodings`, async () => {
      expect(await typedOnly(name, () => parse(valid))).toBe('ok');
      await fc.assert(
        fc.asyncProperty(fc.oneof(bytesAround([valid.length], [prefix]), corrupt(valid)), async (b) => {
          await typedOnly(name, () => parse(b));
        }),
        { numRuns: RUNS }
      );
    });
  }

  it('decodeEnvelope refuses non-bytes with a ProtocolError', async () => {
    for (const v of [null, undefined, 'abc', 42, {}, [1, 3], new ArrayBuffer(80), new Uint16Array(80)]) {
      expect(await typedOnly('decodeEnvelope', () => C.decodeEnvelope(v as unknown as Uint8Array))).toBe('malformed');
    }
  });

  it('decrypt of random or corrupted envelopes throws typed errors and leaves the session usable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytesAround([envelope.length, C.MIN_PADDED + 75], [[0x01, 0x03]]), corrupt(envelope)), async (b) => {
        const code = await typedOnly('decrypt', () => C.decrypt(backend, pair.b, b, 0));
        // Only the untouched envelope may decrypt.
        if (code === 'ok') expect(Buffer.from(b).equals(Buffer.from(envelope))).toBe(true);
      }),
      { numRuns: Math.ceil(RUNS / 5) }
    );
    const { frame: out } = await C.decrypt(backend, pair.b, envelope, 0);
    expect(out.seq).toBe(1);
  });

  it('acceptRequest and completeHandshake on random or corrupted handshake messages throw typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytesAround([C.REQUEST_LEN], [[0x01, 0x01]]), corrupt(pair.request)), async (b) => {
        await typedOnly('acceptRequest', () => C.acceptRequest(backend, pair.bob, b, { rng: seededRng('x') }));
      }),
      { numRuns: Math.ceil(RUNS / 15) }
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytesAround([C.ACCEPT_LEN], [[0x01, 0x02]]), corrupt(pair.accept)), async (b) => {
        await typedOnly('completeHandshake', () => C.completeHandshake(backend, pair.alice, pending, b, seededRng('y')));
      }),
      { numRuns: Math.ceil(RUNS / 15) }
    );
  });

  it('inboxFromJSON / outboxFromJSON on arbitrary JSON', async () => {
    const valid = [C.inboxToJSON(C.newInbox()), C.outboxToJSON(C.newOutbox())];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything({ withNullPrototype: true, withObjectString: true, maxDepth: 3 }),
          fc
            .constantFrom(...valid)
            .chain((v) => fc.tuple(fc.constantFrom(...Object.keys(v as object)), fc.anything({ maxDepth: 2 })).map(([k, x]) => ({ ...(v as object), [k]: x }))),
          fc.record({ v: fc.constant(1), delivered: fc.nat(), requestedUpTo: fc.nat(), nextSeq: fc.nat(), held: fc.anything(), unacked: fc.anything() })
        ),
        async (j) => {
          await typedOnly('inboxFromJSON', () => C.inboxFromJSON(j));
          await typedOnly('outboxFromJSON', () => C.outboxFromJSON(j));
        }
      ),
      { numRuns: RUNS }
    );
  });
});

describe('fuzz: QR payload parser never throws', () => {
  const valid = encodeQrPayload({ fingerprint: new Uint8Array(32).fill(7), ownerKey: new Uint8Array(32).fill(1), peerKey: new Uint8Array(32).fill(2) });
  const check = (v: unknown) => {
    const r = parseQrPayload(v);
    expect(typeof r.ok).toBe('boolean');
    if (!r.ok) expect(['not_cinder', 'unknown_version', 'too_long', 'malformed']).toContain(r.error);
    else {
      expect(r.fingerprint.length).toBeGreaterThanOrEqual(32);
      expect(r.ownerKey).toHaveLength(32);
      expect(r.peerKey).toHaveLength(32);
    }
  };

  it('random text, random bytes after the prefix, and corrupted valid codes', () => {
    expect(parseQrPayload(valid).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 600 }),
          fc.uint8Array({ maxLength: 120 }).map((b) => QR_PREFIX + Buffer.from(b).toString('base64url')),
          fc.string({ unit: 'binary', maxLength: 200 }).map((s) => QR_PREFIX + s),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
            .map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
          fc.constantFrom(
            'cinder:v1:',
            'cinder:v999:AAAA',
            'cinder:v01:' + valid.slice(10),
            'cinder:v1:' + '='.repeat(500),
            '\uD800cinder:v1:',
            valid + '\u202E',
            ' \n' + valid + '\n '
          )
        ),
        check
      ),
      { numRuns: RUNS * 2 }
    );
  });

  it('non-string input', () => {
    for (const v of [null, undefined, 1, {}, [], new Uint8Array(10), Symbol('x'), () => valid, { toString: () => valid }]) check(v);
  });
});
