/**
 * The crypto measurements shared by bench/crypto.ts (Node) and bench/browser/crypto-worker.ts (a Web
 * Worker): imports only src/lib/crypto and noble, so it bundles for the browser.
 *
 * Each figure is printed beside its "primitive floor": the time the same primitives take when each is
 * called alone, one after the other, in the same process (X25519 DH and keygen, Ed25519 sign and
 * verify through the backend, ML-KEM-768, XChaCha20-Poly1305, HKDF, HMAC). The machine is shared and
 * its speed drifts within seconds, so one operation of the figure and one run of its floor's
 * primitives alternate, each timed apart, and the ratio is floor time / figure time; the median of
 * ROUNDS such ratios is reported.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as C from '../src/lib/crypto/index.js';
import { hkdfSha256, hmacSha256 } from '../src/lib/crypto/kdf.js';
import { kemDecapsulate, kemEncapsulate, kemKeygen } from '../src/lib/crypto/kem.js';

const ROUNDS = 3;
const TIME_BOX_MS = 500;

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

interface Ops {
  figure: Record<Figure, () => Promise<unknown>>;
  floor: Record<Figure, () => Promise<unknown>>;
  primitive: Record<keyof Primitives, () => unknown>;
}

async function ops(backend: C.CryptoBackend): Promise<Ops> {
  const a = await backend.x25519Keygen(),
    b = await backend.x25519Keygen();
  const alice = await C.generateIdentity(backend),
    bob = await C.generateIdentity(backend);
  const body = new Uint8Array(1500); // about a handshake body
  const sig = await backend.ed25519Sign(alice.sign, body);
  const primitive = {
    dh: () => backend.x25519(a, b.pub),
    keygen: () => backend.x25519Keygen(),
    sign: () => backend.ed25519Sign(alice.sign, body),
    verify: () => backend.ed25519Verify(alice.sign.pub, body, sig),
    kem: () => {
      const k = kemKeygen();
      kemDecapsulate(kemEncapsulate(k.publicKey).cipherText, k.secretKey);
    },
    aead: () => xchacha20poly1305(new Uint8Array(32), new Uint8Array(24), new Uint8Array(59)).encrypt(new Uint8Array(1088)),
    hkdf: () => hkdfSha256(new Uint8Array(32), new Uint8Array(32), new Uint8Array(17), 64),
    hmac: () => hmacSha256(new Uint8Array(32), new Uint8Array(1))
  };
  const times = async (n: number, f: () => unknown) => {
    for (let i = 0; i < n; i++) await f();
  };
  // handshake = 3 X25519 keygens (EKa, EKb, A's first ratchet key) + 7 DH + 2 sign + 2 verify + ML-KEM
  // kg/enc/dec (the root HKDF and the confirmation HMAC are a few µs of hashing and left out).
  const handshakeFloor = async () => {
    await times(3, primitive.keygen);
    await times(7, primitive.dh);
    await times(2, primitive.sign);
    await times(2, primitive.verify);
    primitive.kem();
  };
  // one 1 KiB message: seal + open, 2 message-key HKDFs, 2 chain steps (4 HMAC)
  const oneWayFloor = async () => {
    await times(2, primitive.aead);
    await times(2, primitive.hkdf);
    await times(4, primitive.hmac);
  };
  // + one DH ratchet step on the receiver: keygen + 2 DH + 2 root HKDFs
  const altFloor = async () => {
    await oneWayFloor();
    await primitive.keygen();
    await times(2, primitive.dh);
    await times(2, primitive.hkdf);
  };

  const payload = new Uint8Array(1024);
  let seq = 0;
  const frame = () => ({ seq: ++seq, ack: 0, type: 0x10, payload });
  const handshake = async () => {
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
    const acc = await C.acceptRequest(backend, bob, request);
    return { a: await C.completeHandshake(backend, alice, pending, acc.accept), b: acc.session };
  };
  let { a: sa, b: sb } = await handshake();
  const send = async (fromA: boolean) => {
    if (fromA) {
      const r = C.encrypt(sa, frame(), 0);
      sa = r.session;
      sb = (await C.decrypt(backend, sb, r.envelope, 0)).session;
    } else {
      const r = C.encrypt(sb, frame(), 0);
      sb = r.session;
      sa = (await C.decrypt(backend, sa, r.envelope, 0)).session;
    }
  };
  let turn = false;
  return {
    primitive,
    figure: {
      handshake,
      // session setup = handshake + A's first message + B's answer (each turns the receiver's ratchet)
      setup: async () => {
        ({ a: sa, b: sb } = await handshake());
        await send(true);
        await send(false);
      },
      oneWay: () => send(true),
      alt: () => send((turn = !turn))
    },
    floor: {
      handshake: handshakeFloor,
      setup: async () => {
        await handshakeFloor();
        await times(2, altFloor);
      },
      oneWay: oneWayFloor,
      alt: altFloor
    }
  };
}

/** One figure op and one floor run alternate, each timed apart: both see the same machine. */
async function paired(figure: () => Promise<unknown>, floor: () => Promise<unknown>, minPairs: number): Promise<{ value: number; floor: number }> {
  for (let i = 0; i < 3; i++) {
    await figure();
    await floor();
  }
  let tf = 0,
    tp = 0,
    n = 0;
  const t0 = performance.now();
  while (n < minPairs || performance.now() - t0 < 2 * TIME_BOX_MS) {
    let t = performance.now();
    await figure();
    tf += performance.now() - t;
    t = performance.now();
    await floor();
    tp += performance.now() - t;
    n++;
  }
  return { value: (n * 1000) / tf, floor: (n * 1000) / tp };
}

export async function measureBackend(backend: C.CryptoBackend): Promise<BackendResult> {
  const o = await ops(backend);
  const prim = {} as Primitives;
  for (const k of Object.keys(o.primitive) as (keyof Primitives)[]) prim[k] = await rate(o.primitive[k], k === 'kem' ? 5 : 20);
  const figures = {} as Record<Figure, Measured>;
  for (const f of FIGURES) {
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await paired(o.figure[f], o.floor[f], f === 'oneWay' || f === 'alt' ? 100 : 12));
    figures[f] = {
      value: median(rounds.map((r) => r.value)),
      floor: median(rounds.map((r) => r.floor)),
      ratio: median(rounds.map((r) => r.value / r.floor))
    };
  }
  return { backend: backend.name, prim, figures };
}

/** Warm-up so the first backend does not pay for JIT compilation of the shared noble code. */
export async function warmUp(): Promise<void> {
  const w = C.webcryptoBackend({ fallback: C.nobleBackend() });
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
    'primitives (ops/s, each alone):',
    `  X25519 DH          ${f(p.dh)}   X25519 keygen   ${f(p.keygen)}`,
    `  Ed25519 sign       ${f(p.sign)}   Ed25519 verify  ${f(p.verify)}`,
    `  ML-KEM-768 kg+enc+dec ${f(p.kem)}`,
    `  XChaCha20-Poly1305 seal 1088 B ${f(p.aead)}   HKDF-64 ${f(p.hkdf)}   HMAC ${f(p.hmac)}`,
    `${''.padEnd(42)}   measured      floor   ratio (figure and floor interleaved; median of ${ROUNDS} rounds)`
  ];
  for (const k of FIGURES) {
    const m = r.figures[k];
    const goal = GOAL_FIGURES.includes(k) ? `   goal >= ${GOAL_RATIO}x: ${m.ratio >= GOAL_RATIO ? 'MET' : 'NOT MET'}` : '';
    lines.push(`${LABELS[k].padEnd(42)} ${f(m.value)}   ${f(m.floor)}   ${m.ratio.toFixed(2).padStart(5)}x${goal}`);
  }
  return lines;
}
