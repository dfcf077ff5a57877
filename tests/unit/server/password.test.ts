import { describe, expect, it } from 'vitest';
import { createPasswordVerifier, DEFAULT_PARAMS, hashPassword, parseHash, verifyPassword } from '../../../src/lib/server/password';

describe('password hashing', () => {
  it('uses scrypt with the default parameters recorded in the hash', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const p = parseHash(h)!;
    expect(p.params).toEqual(DEFAULT_PARAMS);
    expect(p.salt).toHaveLength(16);
    expect(p.hash).toHaveLength(32);
  });

  it('salts per hash and verifies only the right password', async () => {
    const a = await hashPassword('hunter2hunter2');
    const b = await hashPassword('hunter2hunter2');
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter2hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter2hunter3', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, not the current defaults', async () => {
    const h = await hashPassword('pässwörd-ünïcode', { N: 1024, r: 4, p: 2 });
    expect(parseHash(h)!.params).toEqual({ N: 1024, r: 4, p: 2 });
    expect(await verifyPassword('pässwörd-ünïcode', h)).toBe(true);
    // NFKC normalisation: the decomposed form of the same text verifies too.
    expect(await verifyPassword('pässwörd-ünïcode'.normalize('NFD'), h)).toBe(true);
  });

  it('rejects malformed or abusive stored hashes instead of throwing', async () => {
    const good = await hashPassword('whatever123', { N: 1024, r: 8, p: 1 });
    const [, , salt, hash] = good.split('$');
    for (const bad of [
      '',
      'bcrypt$x$y$z',
      `scrypt$N=1000,r=8,p=1$${salt}$${hash}`, // N not a power of two
      `scrypt$N=${2 ** 24},r=8,p=1$${salt}$${hash}`, // N too large (memory bomb)
      `scrypt$N=1024,r=8$${salt}$${hash}`,
      `scrypt$N=1024,r=8,p=1$${salt}$`,
      `scrypt$N=1024,r=8,p=1$!!$${hash}`
    ]) {
      expect(parseHash(bad)).toBeNull();
      expect(await verifyPassword('whatever123', bad)).toBe(false);
    }
  });

  it('costs the same for an unknown user (dummy hash) as for a wrong password', async () => {
    const v = createPasswordVerifier();
    const stored = await v.hash('the real password');
    await v.verify('warm up the dummy', null);
    const time = async (f: () => Promise<boolean>) => {
      const t = performance.now();
      expect(await f()).toBe(false);
      return performance.now() - t;
    };
    const known = await time(() => v.verify('wrong password', stored));
    const unknown = await time(() => v.verify('wrong password', null));
    // Both run a full scrypt at N=32768 (tens of ms); a skipped check would take well under 1 ms.
    expect(unknown).toBeGreaterThan(known * 0.3);
    expect(await v.verify('the real password', stored)).toBe(true);
  });
});
