/**
 * Backend selection: each primitive is taken from WebCrypto if its self-test passed, else from noble,
 * so an engine with broken Ed25519 but sound X25519 still gets native X25519. WebCrypto primitives
 * keep the runtime safety net (webcrypto.ts): a call that throws anyway is answered by noble.
 */
import { selfTest, type SelfTestReport } from './self-test.js';
import { PRIMITIVES, type CryptoBackend, type FallbackHook, type Primitive, type Source } from './types.js';
import { webcryptoBackend } from './webcrypto.js';

export interface BackendStats {
  /** WebCrypto calls answered by noble after an engine error, per primitive, since selection. */
  readonly fallbacks: Readonly<Record<Primitive, number>>;
}

export interface SelectedBackend extends CryptoBackend {
  readonly sources: Readonly<Record<Primitive, Source>>;
  /** Why each primitive left on noble was rejected (null = passed). */
  readonly selfTest: Readonly<SelfTestReport>;
  stats(): BackendStats;
}

export interface SelectOptions {
  /** WebCrypto to test (default globalThis.crypto.subtle; null = none). Injectable for tests. */
  readonly subtle?: SubtleCrypto | null;
  /**
   * Fallback for rejected primitives and engine errors: noble (the self-test's pinned answers are its).
   * Required, so this module never bundles it: see detect.ts, and worker/backend.ts which loads it lazily.
   */
  readonly reference: CryptoBackend;
  readonly onFallback?: FallbackHook;
}

const counter = (): Record<Primitive, number> => Object.fromEntries(PRIMITIVES.map((p) => [p, 0])) as Record<Primitive, number>;

export async function selectBackend(opts: SelectOptions): Promise<SelectedBackend> {
  const reference = opts.reference;
  const subtle = opts.subtle === undefined ? globalThis.crypto?.subtle : opts.subtle;
  const fallbacks = counter();
  let report: SelfTestReport;
  let live: CryptoBackend = reference;
  if (subtle) {
    // The self-test sees raw engine errors (no fallback); the live instance has the safety net.
    report = await selfTest(webcryptoBackend({ subtle, fallback: null }));
    live = webcryptoBackend({
      subtle,
      fallback: reference,
      onFallback: (p, e) => {
        fallbacks[p]++;
        opts.onFallback?.(p, e);
      }
    });
  } else {
    report = Object.fromEntries(PRIMITIVES.map((p) => [p, 'WebCrypto unavailable'])) as SelfTestReport;
  }
  const sources = Object.fromEntries(PRIMITIVES.map((p) => [p, report[p] === null ? 'webcrypto' : 'noble'])) as Record<Primitive, Source>;
  const from = (p: Primitive): CryptoBackend => (sources[p] === 'webcrypto' ? live : reference);
  const used = new Set(Object.values(sources));
  // Methods are taken as-is (none uses `this`): no wrapper, so no extra promise hop on any call.
  return {
    name: used.size === 2 ? 'mixed' : used.has('webcrypto') ? 'webcrypto' : 'noble',
    sources,
    selfTest: report,
    stats: () => ({ fallbacks: { ...fallbacks } }),
    x25519Keygen: from('x25519Keygen').x25519Keygen,
    x25519PublicKey: from('x25519PublicKey').x25519PublicKey,
    x25519: from('x25519').x25519,
    ed25519PublicKey: from('ed25519PublicKey').ed25519PublicKey,
    ed25519Sign: from('ed25519Sign').ed25519Sign,
    ed25519Verify: from('ed25519Verify').ed25519Verify,
    hkdfSha256: from('hkdfSha256').hkdfSha256,
    hmacSha256: from('hmacSha256').hmacSha256
  };
}
