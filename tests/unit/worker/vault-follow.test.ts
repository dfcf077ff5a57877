import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CinderDB } from '$lib/store/db';
import { removePasscode, setPasscode, unlockVault } from '$lib/store/passcode';
import { equalBytes } from '$lib/crypto/bytes';
import { VaultError, type Vault } from '$lib/store/vault';
import { VaultFollower } from '$lib/worker/vault-follow';
import { localFailure, StoreFailure } from '$lib/worker/secret/errors';
import { unlockedStore } from '../support/store';

let n = 0;

/** A worker's side of following: the vault it holds and what it was told to do. */
function tab(db: CinderDB, vault: Vault | null) {
  const t = {
    vault,
    events: [] as string[],
    follower: null as unknown as VaultFollower
  };
  t.follower = new VaultFollower({
    db: () => db,
    current: () => t.vault,
    useClear: (v) => {
      t.vault = v;
      t.events.push('clear');
    },
    lockOut: () => {
      t.vault = null;
      t.events.push('locked');
    }
  });
  return t;
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

describe('following the vault key another tab replaced', () => {
  it('a passcode set in one tab locks the other; removed there, the other takes up the clear key; the tab that re-keys never locks itself', async () => {
    const { db, vault } = await unlockedStore(`follow-${n++}`);
    const a = tab(db, vault);
    const b = tab(db, vault);

    // b sets the passcode; while it re-keys, a refused write of its own makes it check: nothing happens.
    await b.follower.replace(
      async () => {
        const next = await setPasscode(db, vault, '2468');
        await b.follower.follow();
        return next;
      },
      (v) => (b.vault = v)
    );
    expect(b.events).toEqual([]);
    expect(equalBytes(b.vault!.keyId, (await db.vault.get('main'))!.keyId!)).toBe(true);
    // a is told on the channel and locks: its key is gone from the store.
    await until(() => a.events.includes('locked'));
    expect(a.vault).toBeNull();

    // a unlocks with the passcode, then b removes it: a follows to the clear key without a prompt.
    a.vault = await unlockVault(db, '2468');
    a.events.length = 0;
    const current = b.vault!;
    await b.follower.replace(
      () => removePasscode(db, current),
      (v) => (b.vault = v)
    );
    await until(() => a.events.includes('clear'));
    expect(equalBytes(a.vault!.keyId, b.vault!.keyId)).toBe(true);
    // Nothing changed since: checking again does nothing.
    await a.follower.follow();
    expect(a.events).toEqual(['clear']);
    db.close();
  });

  it('a tab that locks locks the others (with a passcode set; without one there is nothing to lock)', async () => {
    const { db, vault } = await unlockedStore(`follow-${n++}`);
    const a = tab(db, vault);
    const b = tab(db, vault);
    // No passcode: the notice is ignored.
    b.follower.announceLocked();
    await new Promise((r) => setTimeout(r, 50));
    expect(a.events).toEqual([]);

    await b.follower.replace(
      () => setPasscode(db, vault, '2468'),
      (v) => (b.vault = v)
    );
    await until(() => a.events.includes('locked'));
    a.vault = await unlockVault(db, '2468');
    a.events.length = 0;
    b.follower.announceLocked();
    await until(() => a.events.includes('locked'));
    expect(a.vault).toBeNull();
    expect(b.events).toEqual([]); // the one that locked is not told its own notice
    db.close();
  });

  it('a stale key while receiving is the device’s failure (kept on the relay), not the sender’s', () => {
    const stale = localFailure(new VaultError('stale_key', 'x'));
    expect(stale).toBeInstanceOf(StoreFailure);
    expect(localFailure(new VaultError('wrong_place', 'x'))).toBeNull();
    expect(localFailure(new Error('x'))).toBeNull();
    const f = new StoreFailure(new Error('disk'));
    expect(localFailure(f)).toBe(f);
  });
});
