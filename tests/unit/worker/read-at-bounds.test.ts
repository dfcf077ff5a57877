// A read receipt's time comes from the peer: a hostile one sending `at` far in the past gave my copy a
// deadline ≤ 0, which the purge never took (it looked at deadlines above 0 only), so the message stayed.
// The read time is now held between my message's own send time and now, and the purge takes any
// deadline that is a number and due, so one already stored that way goes too.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SecretChatRow, SecretMessageRow } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';
import { applyPayload } from '$lib/worker/secret/apply';
import type { Chats } from '$lib/worker/secret/chats';
import type { Effects } from '$lib/worker/secret/state';
import { unlockedStore } from '../support/store';

let n = 0;
const msg = (id: string, at: number, extra: Partial<SecretMessageRow> = {}): SecretMessageRow => ({
  id,
  chatId: 'chat-1',
  at,
  mine: true,
  status: 'sent',
  ttl: 5,
  blobId: null,
  box: new Uint8Array(0),
  ...extra
});

async function readWith(at: number, sentAt: number) {
  const { db } = await unlockedStore(`read-at-${n++}`);
  await db.secretMessages.put(msg('11111111-1111-4111-8111-111111111111', sentAt));
  const c = { row: { id: 'chat-1', lastAt: 0 } as SecretChatRow, put: [], remove: [], updates: [], texts: [] } as unknown as Effects;
  const chats = { ctx: { db } } as unknown as Chats;
  await applyPayload(chats, c, { k: 'read', ids: ['11111111-1111-4111-8111-111111111111'], at }, { chats: new Map() });
  db.close();
  return c.updates[0]?.changes.deadline;
}

describe("a read receipt's time", () => {
  it('is never before my message was sent: a hostile past time cannot make a deadline ≤ 0', async () => {
    const sentAt = Date.now() - 60_000;
    expect(await readWith(-1e15, sentAt)).toBe(sentAt + 5_000);
    expect(await readWith(-5_000, sentAt)).toBe(sentAt + 5_000);
  });

  it('is never after now, and an honest one is kept', async () => {
    const sentAt = Date.now() - 60_000;
    expect(await readWith(sentAt + 10_000, sentAt)).toBe(sentAt + 15_000);
    const before = Date.now();
    const far = await readWith(Date.now() + 86400_000, sentAt);
    expect(far).toBeGreaterThanOrEqual(before + 5_000);
    expect(far).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('a deadline ≤ 0 already stored is purged', async () => {
    const { db } = await unlockedStore(`read-at-${n++}`);
    await db.secretMessages.bulkPut([msg('a', 1, { deadline: -4_000 }), msg('b', 1, { deadline: 0 }), msg('c', 1)]);
    const purged = await purgeExpired(db);
    expect(purged.removed.get('chat-1')?.sort()).toEqual(['a', 'b']);
    expect((await db.secretMessages.toArray()).map((m) => m.id)).toEqual(['c']);
    db.close();
  });
});
