/** The worker's backend: noble is loaded only when a call needs it, answers as noble, and a failed load is retried. */
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '$lib/crypto/backend/noble';
import { PRIMITIVES } from '$lib/crypto/backend/types';
import { detectBackend, lazyNobleBackend } from '$lib/worker/backend';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('lazyNobleBackend', () => {
  it('loads nothing until a primitive is called, then once, and answers exactly as noble', async () => {
    let loads = 0;
    const lazy = lazyNobleBackend(async () => {
      loads++;
      return import('$lib/crypto/backend/noble');
    });
    expect(loads).toBe(0);
    const noble = nobleBackend();
    const seed = bytes(32, 7);
    const fixed = () => bytes(32, 9);
    const kp = await noble.x25519Keygen(fixed);
    expect(await lazy.x25519Keygen(fixed)).toEqual(kp);
    expect(loads).toBe(1);
    const other = await noble.x25519Keygen(() => bytes(32, 3));
    expect(await lazy.x25519(kp, other.pub)).toEqual(await noble.x25519(kp, other.pub));
    expect(await lazy.x25519PublicKey(kp.priv)).toEqual(kp.pub);
    const pub = await noble.ed25519PublicKey(seed);
    expect(await lazy.ed25519PublicKey(seed)).toEqual(pub);
    const sig = await lazy.ed25519Sign({ priv: seed, pub }, bytes(5, 1));
    expect(sig).toEqual(await noble.ed25519Sign({ priv: seed, pub }, bytes(5, 1)));
    expect(await lazy.ed25519Verify(pub, bytes(5, 1), sig)).toBe(true);
    expect(await lazy.ed25519Verify(pub, bytes(5, 2), sig)).toBe(false);
    expect(await lazy.hkdfSha256(seed, bytes(4, 1), bytes(3, 2), 42)).toEqual(await noble.hkdfSha256(seed, bytes(4, 1), bytes(3, 2), 42));
    expect(await lazy.hmacSha256(seed, bytes(9, 4))).toEqual(await noble.hmacSha256(seed, bytes(9, 4)));
    expect(loads).toBe(1);
    // Protocol outcomes pass through unchanged: a low-order point is noble's ProtocolError.
    await expect(lazy.x25519(kp, new Uint8Array(32))).rejects.toMatchObject({ code: 'low_order' });
  });

  it('a failed load fails that call only; the next call loads again', async () => {
    let loads = 0;
    const lazy = lazyNobleBackend(async () => {
      if (++loads === 1) throw new TypeError('Failed to fetch dynamically imported module');
      return import('$lib/crypto/backend/noble');
    });
    await expect(lazy.ed25519PublicKey(bytes(32, 1))).rejects.toThrow(/Failed to fetch/);
    expect(await lazy.ed25519PublicKey(bytes(32, 1))).toEqual(await nobleBackend().ed25519PublicKey(bytes(32, 1)));
    expect(loads).toBe(2);
  });

  it("by default imports the worker's noble module and answers as noble", async () => {
    const seed = bytes(32, 5);
    expect(await lazyNobleBackend().ed25519PublicKey(seed)).toEqual(await nobleBackend().ed25519PublicKey(seed));
  });
});

describe("the worker's detectBackend", () => {
  it('selects WebCrypto for every primitive where it passes (Node), once per worker', async () => {
    const b = await detectBackend();
    expect(b).toBe(await detectBackend());
    expect(Object.values(b.sources)).toEqual(PRIMITIVES.map(() => 'webcrypto'));
    const kp = await b.x25519Keygen();
    expect(await b.x25519PublicKey(kp.priv)).toEqual(kp.pub);
  });
});
