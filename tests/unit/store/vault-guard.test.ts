import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SecretChatRow } from '$lib/store/db';
import { removePasscode, setPasscode } from '$lib/store/passcode';
import { places } from '$lib/store/places';
import { lockActivity } from '$lib/store/tx-locks';
import { Vault } from '$lib/store/vault';
import { onStaleWrite } from '$lib/store/vault-guard';
import { unlockedStore } from '../support/store';

let n = 0;
const chatRow = (id: string, box: Uint8Array, status: SecretChatRow['status'] = 'active'): SecretChatRow =>
  ({ id, protoChatId: `p-${id}`, peerId: 'bob', lastAt: 1, status, box }) as SecretChatRow;
const text = (v: Vault, id: string, body: string) => v.seal(places.secretChat(id), { body });

describe('vault guard: nothing is stored under a replaced key', () => {
  it('a write sealed with the old key after a re-key is refused whole, lone or in a transaction; the new key writes', async () => {
    const { db, vault: old } = await unlockedStore(`guard-${n++}`);
    await db.secretChats.put(chatRow('c1', await text(old, 'c1', 'before')));
    let told = 0;
    onStaleWrite(db, () => told++);
    // Sealed before the passcode is set, stored after: the engine's commit in flight.
    const late = await text(old, 'c1', 'sealed with the old key');
    const fresh = await setPasscode(db, old, '2468');

    await expect(db.secretChats.put(chatRow('c1', late))).rejects.toMatchObject({ code: 'stale_key' });
    await expect(
      db.transaction('rw', db.secretChats, db.meta, async () => {
        await db.meta.put({ key: 'x', value: 1 });
        await db.secretChats.put(chatRow('c1', late));
      })
    ).rejects.toMatchObject({ code: 'stale_key' });
    expect(await db.meta.get('x')).toBeUndefined();
    expect(told).toBe(2);
    // What is stored still opens with the new key, and says what it said.
    expect(await fresh.open(places.secretChat('c1'), (await db.secretChats.get('c1'))!.box)).toEqual({ body: 'before' });

    await db.secretChats.put(chatRow('c1', await text(fresh, 'c1', 'after')));
    expect(await fresh.open(places.secretChat('c1'), (await db.secretChats.get('c1'))!.box)).toEqual({ body: 'after' });
    // A change that seals nothing (status only) goes through whatever key the writer holds.
    await db.secretChats.update('c1', { status: 'cancelled' });
    expect((await db.secretChats.get('c1'))!.status).toBe('cancelled');
    // Format 1 (no key id) belongs to a key from before key ids: refused once the key has an id.
    const v1 = new Uint8Array([1, ...new Uint8Array(12), ...new Uint8Array(20)]);
    await expect(db.secretChats.put(chatRow('c2', v1))).rejects.toMatchObject({ code: 'stale_key' });
    db.close();
  });

  it('a sealed write holds the vault store too (its lock and its transaction)', async () => {
    const { db, vault } = await unlockedStore(`guard-${n++}`);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const box = await text(vault, 'c1', 'x');
    const held = db.transaction('rw', db.secretChats, async () => {
      await db.secretChats.put(chatRow('c1', box));
      await gate;
    });
    const ops = () => lockActivity().map((op) => `${op.mode} ${[...op.stores].sort().join('+')}`);
    while (!ops().length) await new Promise((r) => setTimeout(r, 5));
    expect(ops()).toEqual(['exclusive secretChats+vault']);
    release();
    await held.catch(() => undefined);
    db.close();
  });

  it('a re-key starts over when a write changes a sealed row meanwhile: the change is kept, under the new key', async () => {
    const { db, vault: old } = await unlockedStore(`guard-${n++}`);
    await db.secretChats.put(chatRow('c1', await text(old, 'c1', 'ratchet step 1')));
    await db.secretChats.put(chatRow('c2', await text(old, 'c2', 'other chat')));
    // While the re-key reads and re-seals (before its transaction), the engine commits a step of c1
    // and a status change of c2 (no new box): both must survive the re-key.
    let opened = 0;
    const openBytes = old.openBytes.bind(old);
    old.openBytes = async (place, sealed) => {
      if (opened++ === 0) {
        await db.secretChats.put(chatRow('c1', await text(old, 'c1', 'ratchet step 2')));
        await db.secretChats.update('c2', { status: 'cancelled' });
      }
      return openBytes(place, sealed);
    };
    const fresh = await removePasscode(db, old);
    expect(opened).toBeGreaterThan(2); // read again after the first try saw c1 change
    expect(await fresh.open(places.secretChat('c1'), (await db.secretChats.get('c1'))!.box)).toEqual({ body: 'ratchet step 2' });
    const c2 = (await db.secretChats.get('c2'))!;
    expect(c2.status).toBe('cancelled');
    expect(await fresh.open(places.secretChat('c2'), c2.box)).toEqual({ body: 'other chat' });
    expect([...fresh.keyId]).toEqual([...(await db.vault.get('main'))!.keyId!]);
    db.close();
  });
});
