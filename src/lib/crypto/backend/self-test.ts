/**
 * Per-primitive self-test of a candidate backend (WebCrypto) against the reference (noble), run once
 * before choosing where each primitive is computed. It covers the inputs that break real engines, not
 * just one happy-path vector: private keys with leading (or, after clamping, effectively leading) and
 * trailing zero bytes on both the PKCS#8 and the JWK-with-public-key import paths, public keys with a
 * leading zero byte, low-order X25519 points, Ed25519 strict-encoding cases, RFC 7748 / 8032 / 5869 /
 * 4231 vectors, the empty HMAC key, and the generateKey + JWK export keygen fast path.
 */
import { concat, equalBytes, fromHex, toHex as hex, utf8, type Rng } from '../bytes.js';
import { isProtocolError, type ProtocolErrorCode } from '../errors.js';
import { PRIMITIVES, type CryptoBackend, type KeyPair, type Primitive } from './types.js';

/** Per primitive: null if every check matched the reference, else the first mismatch (diagnostics). */
export type SelfTestReport = Record<Primitive, string | null>;

interface Check {
  readonly label: string;
  readonly run: (b: CryptoBackend) => Promise<Uint8Array | boolean>;
  /** The reference's answer when known without running `run` on it (shared, memoized reference values). */
  readonly want?: () => Promise<Uint8Array | boolean>;
  /** The reference's answer is this ProtocolError code (low-order points; noble's is checked in tests). */
  readonly wantCode?: ProtocolErrorCode;
  /** The candidate may throw an engine error here: the runtime safety net then asks the reference. */
  readonly lenient?: boolean;
}

type Outcome = { ok: Uint8Array | boolean } | { code: string } | { engine: string };

async function outcome(run: () => Promise<Uint8Array | boolean>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (e) {
    if (isProtocolError(e)) return { code: e.code };
    return { engine: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('ok' in a && 'ok' in b) return a.ok instanceof Uint8Array && b.ok instanceof Uint8Array ? equalBytes(a.ok, b.ok) : a.ok === b.ok;
  return 'code' in a && 'code' in b && a.code === b.code;
}

const show = (o: Outcome): string => ('ok' in o ? (o.ok instanceof Uint8Array ? `${o.ok.length} bytes` : String(o.ok)) : 'code' in o ? o.code : o.engine);

// --- inputs --------------------------------------------------------------------------------------

const h = fromHex;
/** Leading zero, two leading zeros, trailing zero, and 0x05 (leading zero once clamped). */
const ZERO_KEYS = [
  '000a5fc5b761f302d7017eda98070d3f84d93adaccb8ee44da9bf065e972743a',
  '00004c7128186f8fbfa33f120f55689615523ffe6540ec41422392598a3df594',
  '21c3616bca7dd8f4b8bbdc15b9306c198380b1b730c212f38a4340f33da5d900',
  '055dbe81e35c65babdf71a4b2f46083465f7ce24fc5bb9df27e0e8b4160ca81e'
].map(h);
/** Private keys whose X25519 / Ed25519 public key starts with a zero byte. */
const X_PUB_ZERO = h('51c17625a2e1911890d28ddf670c6d7bbcb22134d7e1eac4639def81ddfe71f0');
const ED_PUB_ZERO = h('16119ef8ee753085b04f739a5cf49ebc23476096ab2e8a34cde971f3cbc73f16');

// RFC 7748 §6.1 (Alice, Bob) and §5.2 (scalar, u; the second u has its top bit set, which must be masked).
const ALICE = h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUB = h('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB = h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PUB = h('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const RFC7748_52: [Uint8Array, Uint8Array][] = [
  [h('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), h('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')],
  [h('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'), h('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')]
];
/** Low-order u-coordinates and their non-canonical forms (0, 1, order 8 twice, p-1, p, p+1). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(h);

// RFC 8032 §7.1 tests 1-3 (seed, message).
const RFC8032: [Uint8Array, Uint8Array][] = [
  [h('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), new Uint8Array(0)],
  [h('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'), h('72')],
  [h('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'), h('af82')]
];
const ED_IDENTITY = h('0100000000000000000000000000000000000000000000000000000000000000');
const ED_NOT_ON_CURVE = h('0200000000000000000000000000000000000000000000000000000000000000');
const ED_L = h('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
const MSG = utf8('cinder backend self-test');

// --- checks --------------------------------------------------------------------------------------

function checks(ref: CryptoBackend): Record<Primitive, Check[]> {
  // Reference values are needed by both runs of a check: compute each once (noble is the slow side).
  const memo = new Map<string, Promise<Uint8Array>>();
  const once = (key: string, f: () => Promise<Uint8Array>) => memo.get(key) ?? (memo.set(key, f()), memo.get(key)!);
  const xPub = (priv: Uint8Array) => once('x' + hex(priv), () => ref.x25519PublicKey(priv));
  const xPair = async (priv: Uint8Array): Promise<KeyPair> => ({ priv, pub: await xPub(priv) });
  const edPub = (seed: Uint8Array) => once('e' + hex(seed), () => ref.ed25519PublicKey(seed));
  const edPair = async (seed: Uint8Array): Promise<KeyPair> => ({ priv: seed, pub: await edPub(seed) });
  const fixedRng = (k: Uint8Array): Rng => () => k.slice();
  const xKeys = [ALICE, BOB, X_PUB_ZERO, ...ZERO_KEYS];
  const edSeeds = [...RFC8032.map(([s]) => s), ED_PUB_ZERO, ...ZERO_KEYS];
  const signed = async (seed: Uint8Array, msg: Uint8Array) => {
    const kp = await edPair(seed);
    return { pub: kp.pub, sig: await once('s' + hex(seed) + hex(msg), () => ref.ed25519Sign(kp, msg)) };
  };
  return {
    x25519Keygen: [
      ...ZERO_KEYS.map((k, i): Check => ({ label: `injected rng, zero-byte key ${i}`, run: async (b) => (await b.x25519Keygen(fixedRng(k))).pub })),
      // Platform generateKey + JWK export; checked for consistency since the key is random.
      ...Array.from({ length: 4 }, (_, i): Check => ({
        label: `generateKey fast path ${i}`,
        run: async (b) => {
          const kp = await b.x25519Keygen();
          return kp.priv.length === 32 && equalBytes(await ref.x25519PublicKey(kp.priv), kp.pub);
        }
      }))
    ],
    x25519PublicKey: xKeys.map((k, i) => ({ label: `PKCS#8 key ${i}`, run: (b) => b.x25519PublicKey(k), want: () => xPub(k) })),
    x25519: [
      { label: 'RFC 7748 6.1 Alice', run: async (b) => b.x25519({ priv: ALICE, pub: ALICE_PUB }, BOB_PUB) },
      { label: 'RFC 7748 6.1 Bob', run: async (b) => b.x25519({ priv: BOB, pub: BOB_PUB }, ALICE_PUB) },
      ...RFC7748_52.map(([k, u], i): Check => ({ label: `RFC 7748 5.2 vector ${i + 1}`, run: async (b) => b.x25519(await xPair(k), u) })),
      ...ZERO_KEYS.map((k, i): Check => ({ label: `JWK zero-byte key ${i}`, run: async (b) => b.x25519(await xPair(k), ALICE_PUB) })),
      { label: 'peer key with a leading zero byte', run: async (b) => b.x25519({ priv: ALICE, pub: ALICE_PUB }, (await xPair(X_PUB_ZERO)).pub) },
      // Must end in 'low_order' (an engine throw is fine: the safety net asks noble), never in a result.
      ...LOW_ORDER.map((u, i): Check => ({ label: `low-order point ${i}`, run: (b) => b.x25519({ priv: ALICE, pub: ALICE_PUB }, u), wantCode: 'low_order', lenient: true }))
    ],
    ed25519PublicKey: edSeeds.map((k, i) => ({ label: `PKCS#8 seed ${i}`, run: (b) => b.ed25519PublicKey(k), want: () => edPub(k) })),
    ed25519Sign: [
      ...RFC8032.map(([s, m], i): Check => ({ label: `RFC 8032 test ${i + 1}`, run: async (b) => b.ed25519Sign(await edPair(s), m), want: async () => (await signed(s, m)).sig })),
      ...[ED_PUB_ZERO, ...ZERO_KEYS].map((k, i): Check => ({ label: `JWK zero-byte seed ${i}`, run: async (b) => b.ed25519Sign(await edPair(k), MSG), want: async () => (await signed(k, MSG)).sig }))
    ],
    ed25519Verify: [
      ...[RFC8032[0][0], ED_PUB_ZERO, ...ZERO_KEYS].map((k, i): Check => ({
        label: `valid signature ${i}`,
        run: async (b) => {
          const { pub, sig } = await signed(k, MSG);
          return b.ed25519Verify(pub, MSG, sig);
        },
        want: async () => true // the reference's own signature
      })),
      {
        label: 'other message',
        run: async (b) => {
          const { pub, sig } = await signed(RFC8032[0][0], MSG);
          return b.ed25519Verify(pub, utf8('other'), sig);
        }
      },
      {
        label: 'S + L (non-canonical S)',
        run: async (b) => {
          const { pub, sig } = await signed(RFC8032[0][0], MSG);
          return b.ed25519Verify(pub, MSG, addL(sig));
        }
      },
      { label: 'identity key, identity R, S = 0', run: (b) => b.ed25519Verify(ED_IDENTITY, MSG, concat(ED_IDENTITY, new Uint8Array(32))) },
      { label: 'key not on the curve', run: (b) => b.ed25519Verify(ED_NOT_ON_CURVE, MSG, concat(ED_IDENTITY, new Uint8Array(32))), lenient: true }
    ],
    hkdfSha256: [
      // RFC 5869 A.1 and A.3; the handshake's 96-byte output; one byte; out-of-range lengths.
      { label: 'RFC 5869 A.1', run: (b) => b.hkdfSha256(h('0b'.repeat(22)), h('000102030405060708090a0b0c'), h('f0f1f2f3f4f5f6f7f8f9'), 42) },
      { label: 'RFC 5869 A.3', run: (b) => b.hkdfSha256(h('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42) },
      { label: '96 bytes', run: (b) => b.hkdfSha256(ZERO_KEYS[0], ZERO_KEYS[1], MSG, 96) },
      { label: '1 byte', run: (b) => b.hkdfSha256(ZERO_KEYS[0], new Uint8Array(0), MSG, 1) },
      { label: 'length 0', run: (b) => b.hkdfSha256(ZERO_KEYS[0], new Uint8Array(0), MSG, 0) },
      { label: 'length 8161', run: (b) => b.hkdfSha256(ZERO_KEYS[0], new Uint8Array(0), MSG, 255 * 32 + 1) }
    ],
    hmacSha256: [
      // RFC 4231 tests 1, 2 and 6 (key longer than the block); the empty key WebCrypto refuses; empty message.
      { label: 'RFC 4231 test 1', run: (b) => b.hmacSha256(h('0b'.repeat(20)), utf8('Hi There')) },
      { label: 'RFC 4231 test 2', run: (b) => b.hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?')) },
      { label: 'RFC 4231 test 6', run: (b) => b.hmacSha256(h('aa'.repeat(131)), utf8('Test Using Larger Than Block-Size Key - Hash Key First')) },
      { label: 'empty key', run: (b) => b.hmacSha256(new Uint8Array(0), MSG) },
      { label: 'empty key and message', run: (b) => b.hmacSha256(new Uint8Array(0), new Uint8Array(0)) },
      { label: 'empty message', run: (b) => b.hmacSha256(ZERO_KEYS[0], new Uint8Array(0)) }
    ]
  };
}

/** sig with S replaced by S + L (same point, non-canonical scalar). */
function addL(sig: Uint8Array): Uint8Array {
  const out = sig.slice();
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const v = out[32 + i] + ED_L[i] + carry;
    out[32 + i] = v & 0xff;
    carry = v >> 8;
  }
  return out;
}

async function testPrimitive(list: readonly Check[], candidate: CryptoBackend, reference: CryptoBackend): Promise<string | null> {
  for (const c of list) {
    const [want, got] = await Promise.all([
      c.wantCode ? { code: c.wantCode } : outcome(c.want ?? (() => c.run(reference))),
      outcome(() => c.run(candidate))
    ]);
    if ('engine' in want) return `${c.label}: reference failed (${want.engine})`;
    if (sameOutcome(want, got) || (c.lenient && 'engine' in got)) continue;
    return `${c.label}: got ${show(got)}, expected ${show(want)}`;
  }
  return null;
}

/** Never throws: a primitive whose checks throw or mismatch is reported with the reason. */
export async function selfTest(candidate: CryptoBackend, reference: CryptoBackend): Promise<SelfTestReport> {
  const all = checks(reference);
  const results = await Promise.all(PRIMITIVES.map((p) => testPrimitive(all[p], candidate, reference).catch((e) => `${p}: ${String(e)}`)));
  return Object.fromEntries(PRIMITIVES.map((p, i) => [p, results[i]])) as SelfTestReport;
}
