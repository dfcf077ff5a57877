// Schema 12: a store of cloud updates kept for a later version (worker/cloud-kept.ts). A database an
// older version left behind opens with it, empty, and keeps everything else.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openStore } from '$lib/store/db';
import { keepLater } from '$lib/worker/cloud-kept';
import { databaseAt } from '../support/schema-history';

describe('kept cloud updates (schema 12)', () => {
  it('a version-11 database opens with an empty keptUpdates store and its rows kept', async () => {
    const name = `kept-upgrade-${Date.now()}`;
    const old = databaseAt(name, 11);
    await old.open();
    await old.table('meta').put({ key: 'cursor', value: 42 });
    old.close();

    const { db, vault } = await openStore(name);
    expect(db.verno).toBe(16);
    expect(await db.meta.get('cursor')).toEqual({ key: 'cursor', value: 42 });
    expect(await db.keptUpdates.count()).toBe(0);
    expect(await keepLater(db, vault!, [{ cursor: 43, kind: 'react', raw: '{"cursor":43,"kind":"react"}' }])).toEqual([]);
    expect(await db.keptUpdates.where('kind').equals('react').primaryKeys()).toEqual([43]);
    db.close();
  });
});
