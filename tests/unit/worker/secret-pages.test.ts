import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { places } from '$lib/store/places';
import type { SecretMessageRow } from '$lib/store/db';
import { secretMessages } from '$lib/worker/secret/views';
import { unlockedStore } from '../support/store';

/**
 * A secret chat's pages follow display order (at, then id) in both directions, including messages
 * that share a timestamp (a service message written with its cause, two arrivals in one millisecond).
 */
describe('secret chat pages', () => {
  it('page back and forth through (at, id) order without losing or repeating a message', async () => {
    const { db, vault } = await unlockedStore('secret-pages');
    const rows: SecretMessageRow[] = [];
    // 23 messages, several sharing an `at`; ids chosen so id order differs from insertion order.
    for (let i = 0; i < 23; i++) {
      const id = `m-${String((i * 7) % 23).padStart(2, '0')}`;
      const at = 1000 + Math.floor(i / 3);
      const box = await vault.seal(places.secretMessage(id), { kind: 'text', text: id, replyTo: null, ttl: 0 });
      rows.push({ id, chatId: 'c1', at, mine: i % 2 === 0, status: 'sent', ttl: 0, blobId: null, box });
    }
    // Another chat's messages never show up.
    const other = await vault.seal(places.secretMessage('x'), { kind: 'text', text: 'x', replyTo: null, ttl: 0 });
    await db.secretMessages.bulkPut([...rows, { ...rows[0], id: 'x', chatId: 'c2', box: other }]);
    const order = [...rows].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1)).map((r) => r.id);
    const ids = (p: { messages: { id: string }[] }) => p.messages.map((m) => m.id);
    const cur = (id: string) => ({ id, at: rows.find((r) => r.id === id)!.at });

    const latest = await secretMessages(db, vault, 'c1', { limit: 5 });
    expect(ids(latest)).toEqual(order.slice(-5));
    expect([latest.hasMore, latest.hasNewer]).toEqual([true, false]);

    // Back to the start, five at a time.
    const seen = [...ids(latest)];
    let page = latest;
    while (page.hasMore) {
      page = await secretMessages(db, vault, 'c1', { before: cur(seen[0]), limit: 5 });
      expect(page.hasNewer).toBe(true);
      seen.unshift(...ids(page));
    }
    expect(seen).toEqual(order);

    // And forward again from the first.
    const forward = [order[0]];
    for (;;) {
      page = await secretMessages(db, vault, 'c1', { after: cur(forward.at(-1)!), limit: 4 });
      expect(page.hasMore).toBe(true);
      forward.push(...ids(page));
      if (!page.hasNewer) break;
    }
    expect(forward).toEqual(order);

    // A window's refresh: everything from a message on, bounded.
    const from = await secretMessages(db, vault, 'c1', { from: cur(order[10]), limit: 50 });
    expect(ids(from)).toEqual(order.slice(10));
    expect([from.hasMore, from.hasNewer]).toEqual([true, false]);
    const fromStart = await secretMessages(db, vault, 'c1', { from: cur(order[0]), limit: 20 });
    expect(ids(fromStart)).toEqual(order.slice(0, 20));
    expect([fromStart.hasMore, fromStart.hasNewer]).toEqual([false, true]);
    expect(fromStart.messages[0]).toMatchObject({ id: order[0], text: order[0], kind: 'text' });
    db.close();
  });
});
