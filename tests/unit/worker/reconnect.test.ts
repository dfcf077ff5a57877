import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import type { SessionView, WorkerEvent } from '$lib/worker/protocol';
import { FakeSocket } from '../support/fake-socket';

const me: SessionView = { user: { id: 'me', username: 'me', displayName: 'Me' }, device: { id: 'dev-1', name: 'test' } };

/**
 * Issue 16 §6: queued messages go out as soon as the relay answers again, not after a backoff wait
 * left over from the outage, and not after the catch-up pull (which can be long) either.
 */
describe('worker reconnect', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('says offline at once when the browser does, counts queued messages, and sends them the moment the relay says hello', async () => {
    let offline = true;
    const posted: { id: string; text: string }[] = [];
    vi.stubGlobal('addEventListener', () => {});
    vi.stubGlobal('self', globalThis);
    vi.stubGlobal('location', new URL('http://relay.test/'));
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      if (offline) throw new TypeError('Failed to fetch');
      if (path === '/api/me') return Response.json(me);
      // The catch-up pull never ends: the outbox must not wait for it.
      if (path.startsWith('/api/sync')) return new Promise<Response>(() => {});
      if (path === '/api/cloud/messages' && init.method === 'POST') {
        const body = JSON.parse(String(init.body)) as { id: string; toUserId: string; text: string };
        posted.push({ id: body.id, text: body.text });
        return Response.json({
          message: {
            id: body.id,
            peerId: body.toUserId,
            seq: 1,
            senderId: 'me',
            senderDeviceId: 'dev-1',
            text: body.text,
            replyTo: null,
            createdAt: Date.now(),
            media: null
          }
        });
      }
      return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 });
    });

    const seeded = await openStore();
    await seeded.db.meta.put({ key: 'session', value: me });
    seeded.db.close();

    const { Core } = await import('$lib/worker/core');
    const events: WorkerEvent[] = [];
    const core = new Core((e) => events.push(e));
    await core.ready;
    const connection = () => events.filter((e) => e.type === 'connection').at(-1);
    const queued = () => events.filter((e) => e.type === 'queued').at(-1);

    await core.methods.init({});
    expect(FakeSocket.last!.url).toBe('ws://relay.test/ws');

    await core.methods.send({ peerId: 'bob', text: 'one' });
    await core.methods.send({ peerId: 'bob', text: 'two' });
    // Waits until the sends' flush has failed (offline), so nothing in flight can post later.
    await core.methods.retryQueued({});
    await vi.waitFor(() => expect(queued()).toEqual({ type: 'queued', count: 2 }));
    expect(posted).toEqual([]);

    await core.methods.networkLost({});
    expect(connection()).toEqual({ type: 'connection', state: 'offline' });
    const ws = FakeSocket.last!;

    // The relay answers again (the network is back): hello, then the queue goes out at once.
    offline = false;
    ws.open();
    expect(connection()).toEqual({ type: 'connection', state: 'updating' });
    ws.receive({ t: 'hello', cursor: 0, envelopes: 0 });
    // The pull is still running (it never ends here): before this change the outbox waited for it.
    await vi.waitFor(() => expect(posted.map((p) => p.text)).toEqual(['one', 'two']), { timeout: 5_000 });
    await vi.waitFor(() => expect(queued()).toEqual({ type: 'queued', count: 0 }));
  });
});
