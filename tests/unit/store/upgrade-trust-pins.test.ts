// Schema 11: pins keyed per (user id, device id) in `trustPins`; a database an older version left
// behind keeps every pin it had, and the old `trust` table (keyed by device id alone) is gone.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openStore } from '$lib/store/db';
import { databaseAt } from '../support/schema-history';

const pin = (userId: string, deviceId: string, signPub: string) => ({ deviceId, userId, signPub, verifiedAt: 5 });

describe('trust pins (schema 11)', () => {
  it('a version-10 database opens with its pins kept per user and device, and no trust table', async () => {
    const name = `trust-upgrade-${Date.now()}`;
    const old = databaseAt(name, 10);
    await old.open();
    await old.table('trust').bulkPut([pin('u-alice', 'd-alice', 'aa'), pin('u-alice', 'd-alice-phone', 'bb'), pin('u-bob', 'd-bob', 'cc')]);
    await old.table('meta').put({ key: 'cursor', value: 7 });
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBe(16);
    expect(db.tables.map((t) => t.name)).not.toContain('trust');
    expect([...db.backendDB().objectStoreNames]).not.toContain('trust');
    expect(await db.trustPins.where('userId').equals('u-alice').sortBy('deviceId')).toEqual([pin('u-alice', 'd-alice', 'aa'), pin('u-alice', 'd-alice-phone', 'bb')]);
    expect(await db.trustPins.get(['u-bob', 'd-bob'])).toEqual(pin('u-bob', 'd-bob', 'cc'));
    expect(await db.meta.get('cursor')).toEqual({ key: 'cursor', value: 7 });
    // The same device id under another user is a pin of its own, not a replacement.
    await db.trustPins.put(pin('u-mallory', 'd-alice', 'ee'));
    expect(await db.trustPins.get(['u-alice', 'd-alice'])).toEqual(pin('u-alice', 'd-alice', 'aa'));
    expect(await db.trustPins.count()).toBe(4);
    db.close();
  });
});
