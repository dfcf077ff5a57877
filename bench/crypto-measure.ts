/**
 * The crypto measurements shared by bench/crypto.ts (Node) and bench/browser/crypto-worker.ts (a Web
 * Worker): imports only src/lib/crypto and noble, so it bundles for the browser.
 *
 * Each figure is printed beside its "primitive floor": the time the same primitives take when each is
 * called alone, one after the other, in the same process (X25519 DH and keygen, Ed25519 sign and
 * verify through the backend, ML-KEM-768, XChaCha20-Poly1305, HKDF, HMAC). The machine is shared and
 * its speed drifts, so primitives and figures are measured in ROUNDS interleaved rounds and the
 * median of the per-round ratios is reported (each ratio compares numbers taken seconds apart).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as C from '../src/lib/crypto/index.js';
import { hkdfSha256, hmacSha256 } from '../src/lib/crypto/kdf.js';
import { kemDecapsulate, kemEncapsulate, kemKeygen } from '../src/lib/crypto/kem.js';

const ROUNDS = 5;
const TIME_BOX_MS = 300;

/** ops/s of an (a)sync op, time-boxed. */
export async function rate(f: () => unknown, minOps = 20, ms = TIME_BOX_MS): Promise<number> {
  for (let i = 0; i < 5; i++) await f(); // warm-up (JIT, key caches)
  let n = 0;
  const t0 = performance.now();
  while (n < minOps || performance.now() - t0 < ms) {
    await f();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const us = (opsPerSec: number) => 1e6 / opsPerSec;

export interface Primitives {
  dh: number;
  keygen: number;
  sign: number;
  verify: number;
  kem: number; // ML-KEM-768 keygen + encapsulate + decapsulate
  aead: number;
  hkdf: number;
  hmac: number;
}

export type Figure = 'handshake' | 'setup' | 'oneWay' | 'alt';
export const FIGURES: readonly Figure[] = ['handshake', 'setup', 'oneWay', 'alt'];

export interface Measured {
  value: number; // median over the rounds, /s
  floor: number; // median floor, /s
  ratio: number; // median of the per-round value/floor
}

export interface BackendResult {
  backend: string;
  prim: Primitives; // medians
  figures: Record<Figure, Measured>;
}

async function primitives(backend: C.CryptoBackend): Promise<Primitives> {
  const a = await backend.x25519Keygen(),
    b = await backend.x25519Keygen();
  const id = await C.generateIdentity(backend);
  const msg = new Uint8Array(1500); // about a handshake body
  const sig = await backend.ed25519Sign(id.sign, msg);
  return {
    dh: await rate(() => backend.x25519(a, b.pub)),
    keygen: await rate(() => backend.x25519Keygen()),
    sign: await rate(() => backend.ed25519Sign(id.sign, msg)),
    verify: await rate(() => backend.ed25519Verify(id.sign.pub, msg, sig)),
    kem: await rate(() => {
      const k = kemKeygen();
      kemDecapsulate(kemEncapsulate(k.publicKey).cipherText, k.secretKey);
    }, 5),
    aead: await rate(() => xchacha20poly1305(new Uint8Array(32), new Uint8Array(24), new Uint8Array(59)).encrypt(new Uint8Array(1088))),
    hkdf: await rate(() => hkdfSha256(new Uint8Array(32), new Uint8Array(32), new Uint8Array(17), 64)),
    hmac: await rate(() => hmacSha256(new Uint8Array(32), new Uint8Array(1)))
  };
}

/** Floors in µs per operation. */
export function floorsUs(p: Primitives): Record<Figure, number> {
  // handshake = 3 X25519 keygens (EKa, EKb, A's first ratchet key) + 7 DH + 2 sign + 2 verify + ML-KEM
  // kg/enc/dec (the root HKDF and confirmation HMAC are a few µs of hashing and left out).
  const handshake = 3 * us(p.keygen) + 7 * us(p.dh) + 2 * us(p.sign) + 2 * us(p.verify) + us(p.kem);
  // one 1 KiB message: seal + open, 2 message-key HKDFs, 2 chain steps (4 HMAC)
  const oneWay = 2 * us(p.aead) + 2 * us(p.hkdf) + 4 * us(p.hmac);
  // + one DH ratchet step on the receiver: keygen + 2 DH + 2 root HKDFs
  const alt = oneWay + us(p.keygen) + 2 * us(p.dh) + 2 * us(p.hkdf);
  // session setup = handshake + A's first message + B's answer (each turns the receiver's ratchet)
  return { handshake, setup: handshake + 2 * alt, oneWay, alt };
}

async function figures(backend: C.CryptoBackend, alice: C.Identity, bob: C.Identity): Promise<Record<Figure, number>> {
  const payload = new Uint8Array(1024);
  let seq = 0;
  const frame = () => ({ seq: ++seq, ack: 0, type: 0x10, payload });
  const handshake = async () => {
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
    const acc = await C.acceptRequest(backend, bob, request);
    return { a: await C.completeHandshake(backend, alice, pending, acc.accept), b: acc.session };
  };
  let { a, b } = await handshake();
  const send = async (fromA: boolean) => {
    if (fromA) {
      const r = C.encrypt(a, frame(), 0);
      a = r.session;
      b = (await C.decrypt(backend, b, r.envelope, 0)).session;
    } else {
      const r = C.encrypt(b, frame(), 0);
      b = r.session;
      a = (await C.decrypt(backend, a, r.envelope, 0)).session;
    }
  };
  const hs = await rate(handshake, 5);
  const setup = await rate(async () => {
    ({ a, b } = await handshake());
    await send(true);
    await send(false);
  }, 5);
  const oneWay = await rate(() => send(true), 200);
  let turn = false;
  const alt = await rate(() => send((turn = !turn)), 200);
  return { handshake: hs, setup, oneWay, alt };
}

export async function measureBackend(backend: C.CryptoBackend): Promise<BackendResult> {
  const alice = await C.generateIdentity(backend),
    bob = await C.generateIdentity(backend);
  const prims: Primitives[] = [];
  const rounds: { value: Record<Figure, number>; floor: Record<Figure, number> }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const p = await primitives(backend);
    prims.push(p);
    const us = floorsUs(p);
    rounds.push({ value: await figures(backend, alice, bob), floor: Object.fromEntries(FIGURES.map((f) => [f, 1e6 / us[f]])) as Record<Figure, number> });
  }
  const prim = Object.fromEntries(Object.keys(prims[0]!).map((k) => [k, median(prims.map((p) => p[k as keyof Primitives]))])) as unknown as Primitives;
  const out = {} as Record<Figure, Measured>;
  for (const f of FIGURES) {
    out[f] = {
      value: median(rounds.map((r) => r.value[f])),
      floor: median(rounds.map((r) => r.floor[f])),
      ratio: median(rounds.map((r) => r.value[f] / r.floor[f]))
    };
  }
  return { backend: backend.name, prim, figures: out };
}

/** Warm-up so the first backend does not pay for JIT compilation of the shared noble code. */
export async function warmUp(): Promise<void> {
  const w = C.webcryptoBackend();
  for (let i = 0; i < 3; i++) {
    const x = await C.generateIdentity(w),
      y = await C.generateIdentity(w);
    const { request, pending } = await C.createRequest(w, x, C.publicIdentity(y));
    const acc = await C.acceptRequest(w, y, request);
    let s = await C.completeHandshake(w, x, pending, acc.accept);
    for (let j = 0; j < 300; j++) s = C.encrypt(s, { seq: j + 1, ack: 0, type: 0x10, payload: new Uint8Array(1024) }, 0).session;
  }
}

export const LABELS: Record<Figure, string> = {
  handshake: 'handshakes/s (request+accept+complete)',
  setup: 'session setups/s (handshake + 2 messages)',
  oneWay: '1 KiB msgs/s one-way',
  alt: '1 KiB msgs/s alternating'
};

/** Issue #19 goal 3: alternating ratchet and session setup at >= 0.8x their primitive floor. */
export const GOAL_RATIO = 0.8;
export const GOAL_FIGURES: readonly Figure[] = ['alt', 'setup'];

/** Human-readable lines for one backend (shared by the Node and browser benches). */
export function describe(r: BackendResult): string[] {
  const f = (x: number) => x.toFixed(0).padStart(8);
  const p = r.prim;
  const lines = [
    'primitives (ops/s, median of the rounds):',
    `  X25519 DH          ${f(p.dh)}   X25519 keygen   ${f(p.keygen)}`,
    `  Ed25519 sign       ${f(p.sign)}   Ed25519 verify  ${f(p.verify)}`,
    `  ML-KEM-768 kg+enc+dec ${f(p.kem)}`,
    `  XChaCha20-Poly1305 seal 1088 B ${f(p.aead)}   HKDF-64 ${f(p.hkdf)}   HMAC ${f(p.hmac)}`,
    `${''.padEnd(42)}   measured      floor   ratio (median of ${ROUNDS} rounds)`
  ];
  for (const k of FIGURES) {
    const m = r.figures[k];
    const goal = GOAL_FIGURES.includes(k) ? `   goal >= ${GOAL_RATIO}x: ${m.ratio >= GOAL_RATIO ? 'MET' : 'NOT MET'}` : '';
    lines.push(`${LABELS[k].padEnd(42)} ${f(m.value)}   ${f(m.floor)}   ${m.ratio.toFixed(2).padStart(5)}x${goal}`);
  }
  return lines;
}
