/**
 * Known-answer vectors for protocol version 2 (sealed addressing), docs/protocol.md §15. Same seeded RNG
 * and call order as the version-1 vectors (vectors.ts), so the identities, chat id, ephemerals and KEM
 * values are those of §14 and only the version byte and what depends on it differ. Regenerate with:
 *   CINDER_WRITE_VECTORS=1 npx vitest run tests/unit/crypto/sealed-kat.test.ts
 */
import * as C from '../../../src/lib/crypto/index.js';
import { fromHex, toHex, utf8 } from '../../../src/lib/crypto/bytes.js';
import { appFrame, seededRng } from './helpers.js';
import { KAT_NOW, KAT_SEED } from './vectors.js';

export const SEAL_SEED = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
export const SEAL_NONCE = '404142434445464748494a4b4c4d4e4f5051525354555657';
export const POST_ID = 'kat-post-1';

export interface MailboxVector {
  mailbox: string;
  cap: string;
  header: string;
  blobToken: string;
}

export interface SealedVectors {
  description: string;
  rngSeed: string;
  now: number;
  epoch: number;
  standalone: { seed: string; epoch: number; keys: MailboxVector; postBodyUtf8: string; capMac: string };
  request: string;
  accept: string;
  transcriptHash: string;
  rootKey0: string;
  chainKey0: string;
  seedI2A: string;
  seedA2I: string;
  fingerprint: string;
  i2a: MailboxVector;
  a2i: MailboxVector;
  message: { payloadUtf8: string; seq: number; ack: number; nonce: string; envelope: string; sealed: string; postId: string; capMac: string };
  finalState: { initiator: string; acceptor: string };
}

const keysOf = (seed: Uint8Array, epoch: number): MailboxVector => {
  const k = C.mailboxKeys(seed, epoch);
  return { mailbox: toHex(k.mailbox), cap: toHex(k.cap), header: toHex(k.header), blobToken: toHex(C.blobToken(k.cap)) };
};

export async function generateSealedVectors(backend: C.CryptoBackend, seed = KAT_SEED): Promise<SealedVectors> {
  const rng = seededRng(seed);
  const alice = await C.generateIdentity(backend, rng);
  const bob = await C.generateIdentity(backend, rng);
  const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), { rng, version: 2 });
  const { accept, session: b0 } = await C.acceptRequest(backend, bob, request, { rng });
  const a0 = await C.completeHandshake(backend, alice, pending, accept, rng);
  const epoch = C.epochOf(KAT_NOW);

  const standaloneSeed = fromHex(SEAL_SEED);
  const body = 'opaque sealed body';
  const standaloneKeys = C.mailboxKeys(standaloneSeed, epoch);

  // The initiator's first message (its key confirmation), sealed for today's i2a mailbox.
  const payload = 'hi! first initiator message = key confirmation';
  const r = C.encrypt(a0, appFrame(1, payload, 0), KAT_NOW);
  const send = C.mailboxKeys(a0.seal!.send, epoch);
  const sealed = C.sealEnvelope(r.envelope, send.header, () => fromHex(SEAL_NONCE));
  const b1 = await C.decrypt(backend, b0, C.unsealEnvelope(sealed, C.mailboxKeys(b0.seal!.recv, epoch).header), KAT_NOW, rng);

  return {
    description: 'Cinder protocol v2 (sealed addressing) known-answer vectors; see docs/protocol.md "Version 2: sealed addressing".',
    rngSeed: seed,
    now: KAT_NOW,
    epoch,
    standalone: {
      seed: SEAL_SEED,
      epoch,
      keys: keysOf(standaloneSeed, epoch),
      postBodyUtf8: body,
      capMac: toHex(C.capMac(standaloneKeys.cap, POST_ID, utf8(body)))
    },
    request: toHex(request),
    accept: toHex(accept),
    transcriptHash: toHex(a0.transcriptHash),
    rootKey0: toHex(b0.rootKey),
    chainKey0: toHex(b0.sending.chainKey),
    seedI2A: toHex(a0.seal!.send),
    seedA2I: toHex(a0.seal!.recv),
    fingerprint: toHex(C.fingerprint(a0)),
    i2a: keysOf(a0.seal!.send, epoch),
    a2i: keysOf(a0.seal!.recv, epoch),
    message: {
      payloadUtf8: payload,
      seq: 1,
      ack: 0,
      nonce: SEAL_NONCE,
      envelope: toHex(r.envelope),
      sealed: toHex(sealed),
      postId: POST_ID,
      capMac: toHex(C.capMac(send.cap, POST_ID, sealed))
    },
    finalState: { initiator: toHex(C.serializeSession(r.session)), acceptor: toHex(C.serializeSession(b1.session)) }
  };
}
