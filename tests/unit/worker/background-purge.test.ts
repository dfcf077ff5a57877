// A service-worker wake purges before it pulls, but the pull is what starts a sender's timer (the read
// receipt back-dates my copy's deadline, usually already past). Before, nothing purged after the pull
// and the slot for a deadline still ahead waited on a timer the service worker never lived to run: the
// message stayed until the next wake or start. Now the wake purges again after the pull and registers
// the new slots before it ends. And every service-worker purge announces what it deleted, as the purge
// timer does, so a page frozen meanwhile drops what it still shows.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openStore, type SecretMessageRow } from '$lib/store/db';
import { backgroundWake } from '$lib/worker/background';
import type { WorkerEvent } from '$lib/worker/protocol';
import type { SecretContext } from '$lib/worker/secret';

const log: string[] = [];
const msg = (id: string, deadline: number, blobId: string | null = null): SecretMessageRow => ({
  id,
  chatId: 'chat-1',
  at: 1,
  mine: true,
  status: 'read',
  ttl: 5,
  blobId,
  box: new Uint8Array(0),
  deadline
});

vi.mock('$lib/worker/net', async (original) => ({
  ...(await original<typeof import('$lib/worker/net')>()),
  request: async (method: string, path: string) => void log.push(`${method} ${path}`)
}));
vi.mock('$lib/worker/secret', () => ({
  SecretEngine: class {
    constructor(private readonly ctx: SecretContext) {}
    // A read receipt arrives: one copy's deadline already passed, one still ahead.
    async pull() {
      await this.ctx.db.secretMessages.bulkPut([msg('m-past', Date.now() - 1_000, 'blob-1'), msg('m-ahead', Date.now() + 3600_000)]);
      return { chats: new Map() };
    }
    async flush() {}
    async registerWakeups(maxMs: number) {
      log.push(`wakeups within ${maxMs}`);
      await new Promise((r) => setTimeout(r, 20));
      // Still inside the wake: the database is open.
      log.push(`registered ${(await this.ctx.db.meta.count()) >= 0}`);
    }
    stop() {
      log.push('stop');
    }
  }
}));

async function signedIn() {
  const { db } = await openStore();
  await db.meta.put({ key: 'session', value: { user: { id: 'u-bob', username: 'bob', displayName: 'Bob' }, device: { id: 'd-bob', name: 'b' } } });
  return db;
}

function listen() {
  const heard: WorkerEvent[] = [];
  const channel = new BroadcastChannel('cinder-data');
  channel.addEventListener('message', (ev: MessageEvent) => heard.push(ev.data as WorkerEvent));
  return { heard, channel };
}

describe('a service-worker wake and the timers its pull starts', () => {
  it('purges what the pull made due, announces it, deletes its blob at the relay, and registers the rest before it ends', async () => {
    (await signedIn()).close();
    log.length = 0;
    const { heard, channel } = listen();
    await backgroundWake('envelope');
    expect(log).toEqual(['DELETE /api/blobs/blob-1', 'wakeups within 10000', 'registered true', 'stop']);
    const { db } = await openStore();
    expect((await db.secretMessages.toArray()).map((m) => m.id)).toEqual(['m-ahead']);
    await db.secretMessages.clear();
    db.close();
    await vi.waitFor(() => expect(heard).toEqual([{ type: 'secret', chatId: 'chat-1', rows: ['m-past'] }, { type: 'chats' }]));
    channel.close();
  });

  it('with waitUntil given, returns its notices first and hands it the registration', async () => {
    (await signedIn()).close();
    log.length = 0;
    let rest: Promise<void> | null = null;
    await backgroundWake('envelope', (work) => void (rest = work));
    expect(log).toEqual(['DELETE /api/blobs/blob-1', 'wakeups within 10000']);
    await rest;
    expect(log.slice(2)).toEqual(['registered true', 'stop']);
    const { db } = await openStore();
    await db.secretMessages.clear();
    db.close();
  });

  it('the purge at the start of any wake announces what it deleted', async () => {
    const db = await signedIn();
    await db.secretMessages.put(msg('m-old', Date.now() - 1_000));
    db.close();
    const { heard, channel } = listen();
    await backgroundWake('wake');
    await vi.waitFor(() => expect(heard).toEqual([{ type: 'secret', chatId: 'chat-1', rows: ['m-old'] }, { type: 'chats' }]));
    channel.close();
  });
});
