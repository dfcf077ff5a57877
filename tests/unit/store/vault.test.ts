import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CinderDB, destroyStore } from '../../../src/lib/store/db';
import { unlockedStore } from '../support/store';
import { KEY_ID_BYTES, keyIdOf, LEGACY_KEY_ID, Vault, VaultError, createVaultKey, newKeyId } from '../../../src/lib/store/vault';

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

  it('a sealed value names its key: [2][key id][nonce][ciphertext]; another key id is a stale key, not tampering', async () => {
    const key = await createVaultKey();
    const id = newKeyId();
    const v = new Vault(key, id);
    const sealed = await v.sealBytes('p', new Uint8Array([7, 8, 9]));
    expect(sealed[0]).toBe(2);
    expect([...sealed.subarray(1, 1 + KEY_ID_BYTES)]).toEqual([...id]);
    expect(sealed.length).toBe(1 + KEY_ID_BYTES + 12 + 3 + 16);
    expect([...keyIdOf(sealed)!]).toEqual([...id]);
    // The same key under another id (as after a re-key elsewhere) refuses before decrypting.
    await expect(new Vault(key, newKeyId()).openBytes('p', sealed)).rejects.toMatchObject({ code: 'stale_key' });
    // A key stored before key ids (no id in its vault row) seals under the legacy id.
    expect([...keyIdOf(await new Vault(key).sealBytes('p', new Uint8Array(1)))!]).toEqual([...LEGACY_KEY_ID]);
    expect(() => new Vault(key, new Uint8Array(3))).toThrow(VaultError);
  });

  it('still opens format 1 (no key id), written before key ids', async () => {
    const key = await createVaultKey();
    const nonce = new Uint8Array(12).fill(5);
    const ad = new TextEncoder().encode('cinder/vault/v1/messages/a');
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: ad }, key, new TextEncoder().encode('"old"')));
    const v1 = new Uint8Array([1, ...nonce, ...ct]);
    expect(keyIdOf(v1)).toEqual(LEGACY_KEY_ID);
    // Format 1 names no key: any vault tries it, and only the key that sealed it opens it.
    expect(await new Vault(key, newKeyId()).open('messages/a', v1)).toBe('old');
    await expect(new Vault(key).open('messages/b', v1)).rejects.toMatchObject({ code: 'wrong_place' });
    await expect(new Vault(await createVaultKey()).open('messages/a', v1)).rejects.toMatchObject({ code: 'wrong_place' });
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
