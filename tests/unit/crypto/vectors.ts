/**
 * Known-answer vector generator for the Cinder protocol. Deterministic: seeded RNG (helpers.ts),
 * fixed timestamps. Regenerate the fixture with:
 *   CINDER_WRITE_VECTORS=1 npx vitest run tests/unit/crypto/kat.test.ts
 */
import * as C from '../../../src/lib/crypto/index.js';
import { toHex } from '../../../src/lib/crypto/bytes.js';
import { appFrame, seededRng } from './helpers.js';

export const KAT_SEED = 'cinder-kat-v1';
export const KAT_NOW = 1_700_000_000_000;

export interface Vectors {
  description: string;
  rngSeed: string;
  now: number;
  alice: { identity: string; public: string };
  bob: { identity: string; public: string };
  chatId: string;
  request: string;
  accept: string;
  transcriptHash: string;
  rootKey0: string; // RK0 (acceptor's root key right after the handshake)
  chainKey0: string; // CK0 (acceptor's initial sending chain)
  fingerprint: string;
  initiatorRootKey1: string; // after the initiator's first DH ratchet step
  messages: { from: 'initiator' | 'acceptor'; seq: number; ack: number; type: number; payloadUtf8: string; envelope: string }[];
  finalState: { initiator: string; acceptor: string };
}

export async function generateVectors(backend: C.CryptoBackend, seed = KAT_SEED): Promise<Vectors> {
  const rng = seededRng(seed);
  const alice = await C.generateIdentity(backend, rng);
  const bob = await C.generateIdentity(backend, rng);
  const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), rng);
  const { accept, session: b0 } = await C.acceptRequest(backend, bob, request, { rng });
  const a0 = await C.completeHandshake(backend, alice, pending, accept, rng);
  let a = a0,
    b = b0;
  const script: ['initiator' | 'acceptor', string][] = [
    ['acceptor', 'hello from the acceptor (initial chain)'],
    ['initiator', 'hi! first initiator message = key confirmation'],
    ['initiator', 'second on the same chain'],
    ['acceptor', 'acceptor after a DH ratchet step'],
    ['initiator', 'initiator after a DH ratchet step']
  ];
  const seq = { initiator: 0, acceptor: 0 };
  const messages: Vectors['messages'] = [];
  for (const [from, msg] of script) {
    const ack = from === 'initiator' ? seq.acceptor : seq.initiator;
    const frame = appFrame(++seq[from], msg, ack);
    if (from === 'initiator') {
      const r = C.encrypt(a, frame, KAT_NOW);
      a = r.session;
      b = (await C.decrypt(backend, b, r.envelope, KAT_NOW, rng)).session;
      messages.push({ from, seq: frame.seq, ack, type: frame.type, payloadUtf8: msg, envelope: toHex(r.envelope) });
    } else {
      const r = C.encrypt(b, frame, KAT_NOW);
      b = r.session;
      a = (await C.decrypt(backend, a, r.envelope, KAT_NOW, rng)).session;
      messages.push({ from, seq: frame.seq, ack, type: frame.type, payloadUtf8: msg, envelope: toHex(r.envelope) });
    }
  }
  return {
    description: 'Cinder protocol v1 known-answer vectors; see docs/protocol.md "Known-answer vectors".',
    rngSeed: seed,
    now: KAT_NOW,
    alice: { identity: toHex(C.serializeIdentity(alice)), public: toHex(C.encodePublicIdentity(C.publicIdentity(alice))) },
    bob: { identity: toHex(C.serializeIdentity(bob)), public: toHex(C.encodePublicIdentity(C.publicIdentity(bob))) },
    chatId: toHex(a0.chatId),
    request: toHex(request),
    accept: toHex(accept),
    transcriptHash: toHex(a0.transcriptHash),
    rootKey0: toHex(b0.rootKey),
    chainKey0: toHex(b0.sending.chainKey),
    fingerprint: toHex(C.fingerprint(a0)),
    initiatorRootKey1: toHex(a0.rootKey),
    messages,
    finalState: { initiator: toHex(C.serializeSession(a)), acceptor: toHex(C.serializeSession(b)) }
  };
}
