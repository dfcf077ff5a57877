import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openStore } from '$lib/store/db';
import { PasscodeError, removePasscode, setPasscode, unlockVault } from '$lib/store/passcode';
import { places } from '$lib/store/places';
import { purgeExpired } from '$lib/store/purge';
import { unlockedStore } from '../support/store';

let n = 0;

describe('passcode lock', () => {
  it('wraps the vault key, re-keys every sealed value, and only the right passcode opens it', async () => {
    const name = `pass-${n++}`;
    const { db, vault } = await unlockedStore(name);
    await db.secrets.put({ key: 'identity', box: await vault.seal(places.secret('identity'), { k: 'device keys' }) });
    await db.secretMessages.put({
      id: 'm1',
      chatId: 'c1',
      at: 1,
      mine: false,
      status: 'read',
      ttl: 5,
      deadline: Date.now() - 1,
      blobId: null,
      box: await vault.seal(places.secretMessage('m1'), { text: 'hello' })
    });
    const before = (await db.secrets.get('identity'))!.box;

    const locked = await setPasscode(db, vault, '2468');
    const row = await db.vault.get('main');
    expect(row?.key).toBeUndefined();
    expect(row?.wrapped?.length).toBe(40); // AES-KW of a 256-bit key
    expect(row?.iterations).toBeGreaterThanOrEqual(600_000);
    // Re-keyed: the old ciphertext is gone and the old key cannot open the new one.
    const after = (await db.secrets.get('identity'))!.box;
    expect(Buffer.from(after).equals(Buffer.from(before))).toBe(false);
    await expect(vault.open(places.secret('identity'), after)).rejects.toThrow();
    expect(await locked.open(places.secret('identity'), after)).toEqual({ k: 'device keys' });
    db.close();

    // A fresh context sees a locked vault.
    const reopened = await openStore(name);
    expect(reopened.vault).toBeNull();
    // Purges need no key.
    const purged = await purgeExpired(reopened.db);
    expect([...purged.chats]).toEqual(['c1']);
    await expect(unlockVault(reopened.db, '1357')).rejects.toBeInstanceOf(PasscodeError);
    const unlocked = await unlockVault(reopened.db, '2468');
    expect(await unlocked.open(places.secret('identity'), (await reopened.db.secrets.get('identity'))!.box)).toEqual({ k: 'device keys' });

    // Removing the passcode goes back to a stored non-extractable key.
    const plain = await removePasscode(reopened.db, unlocked);
    const plainRow = await reopened.db.vault.get('main');
    expect(plainRow?.wrapped).toBeUndefined();
    expect(plainRow?.key?.extractable).toBe(false);
    expect(await plain.open(places.secret('identity'), (await reopened.db.secrets.get('identity'))!.box)).toEqual({ k: 'device keys' });
    reopened.db.close();
  }, 60_000);

  it('refuses a passcode that is too short', async () => {
    const { db, vault } = await unlockedStore(`pass-${n++}`);
    await expect(setPasscode(db, vault, '12')).rejects.toMatchObject({ code: 'weak_passcode' });
    db.close();
  });
});
