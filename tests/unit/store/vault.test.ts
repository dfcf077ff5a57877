import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CinderDB, destroyStore } from '../../../src/lib/store/db';
import { unlockedStore } from '../support/store';
import { Vault, VaultError, createVaultKey } from '../../../src/lib/store/vault';

let n = 0;
const dbName = () => `vault-test-${n++}`;

describe('vault', () => {
  it('seals and opens values bound to their place', async () => {
    const v = new Vault(await createVaultKey());
    const sealed = await v.seal('messages/a', { text: 'secret phrase' });
    expect(await v.open('messages/a', sealed)).toEqual({ text: 'secret phrase' });
    expect(new TextDecoder().decode(sealed)).not.toContain('secret phrase');
    await expect(v.open('messages/b', sealed)).rejects.toMatchObject({ code: 'wrong_place' });
  });

  it('rejects tampered and malformed values with typed errors', async () => {
    const v = new Vault(await createVaultKey());
    const sealed = await v.sealBytes('x', new Uint8Array([1, 2, 3]));
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i] ^= 1;
      await expect(v.openBytes('x', bad)).rejects.toBeInstanceOf(VaultError);
    }
    await expect(v.openBytes('x', new Uint8Array(5))).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('refuses an extractable key', async () => {
    const k = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    expect(() => new Vault(k)).toThrow(VaultError);
  });

  it('keeps one non-extractable key in IndexedDB across reopen, and loses it on destroy', async () => {
    const name = dbName();
    const a = await unlockedStore(name);
    const row = await a.db.vault.get('main');
    expect(row?.key?.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', row!.key!)).rejects.toThrow();
    const sealed = await a.vault.seal('p', 42);
    a.db.close();

    const b = await unlockedStore(name);
    expect(await b.vault.open('p', sealed)).toBe(42);
    await destroyStore(b.db);

    const c = await unlockedStore(name);
    await expect(c.vault.open('p', sealed)).rejects.toBeInstanceOf(VaultError);
    c.db.close();
  });

  it('two contexts opening at once agree on one key', async () => {
    const name = dbName();
    const [a, b] = await Promise.all([unlockedStore(name), unlockedStore(name)]);
    const sealed = await a.vault.seal('p', 'x');
    expect(await b.vault.open('p', sealed)).toBe('x');
    expect(await new CinderDB(name).vault.count()).toBe(1);
    a.db.close();
    b.db.close();
  });
});
