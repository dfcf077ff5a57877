/** Test helpers: deterministic RNG and a two-party harness. */
import { sha256 } from '@noble/hashes/sha2.js';
import * as C from '../../../src/lib/crypto/index.js';
import { concat, u32be, utf8 } from '../../../src/lib/crypto/bytes.js';

/** Deterministic test DRBG: each call returns SHA-256(seed || u32be(counter++)) blocks, truncated.
 * (Documented in docs/protocol.md so the known-answer vectors can be reproduced elsewhere.) */
export function seededRng(seed: string): C.Rng {
  const s = utf8(seed);
  let ctr = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) out.set(sha256(concat(s, u32be(ctr++))).subarray(0, Math.min(32, n - off)), off);
    return out;
  };
}

export const backends = [C.webcryptoBackend({ fallback: C.nobleBackend() }), C.nobleBackend()];

export interface Pair {
  alice: C.Identity;
  bob: C.Identity;
  a: C.Session; // initiator
  b: C.Session; // acceptor
  request: Uint8Array;
  accept: Uint8Array;
}

export async function makePair(backend: C.CryptoBackend, rng: C.Rng = C.randomBytes, ids?: { alice: C.Identity; bob: C.Identity }): Promise<Pair> {
  const alice = ids?.alice ?? (await C.generateIdentity(backend, rng));
  const bob = ids?.bob ?? (await C.generateIdentity(backend, rng));
  const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob), rng);
  const { accept, session: b } = await C.acceptRequest(backend, bob, request, { rng, expectedPeer: C.publicIdentity(alice) });
  const a = await C.completeHandshake(backend, alice, pending, accept, rng);
  return { alice, bob, a, b, request, accept };
}

export const appFrame = (seq: number, text: string, ack = 0): C.Frame => ({ seq, ack, type: 0x10, payload: utf8(text) });
export const text = (f: C.Frame): string => new TextDecoder().decode(f.payload);

/** Expect a ProtocolError with the given code. */
export async function rejects(p: Promise<unknown> | (() => unknown), code: C.ProtocolErrorCode): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (C.isProtocolError(e, code)) return;
    throw new Error(`expected ProtocolError(${code}), got ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new Error(`expected ProtocolError(${code}), but it succeeded`);
}
