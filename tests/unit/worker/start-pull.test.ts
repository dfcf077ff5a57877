import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import type { SessionView } from '$lib/worker/protocol';
import { FakeSocket } from '../support/fake-socket';

const me: SessionView = { user: { id: 'me', username: 'me', displayName: 'Me' }, device: { id: 'dev-1', name: 'test' } };

/** At app start the queues are asked for at once, not a round trip later when the socket says hello. */
describe('worker start', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('pulls the cloud log and (with secret chats) the secret queue before the socket has even opened; the hello pulls again', async () => {
    const paths: string[] = [];
    vi.stubGlobal('addEventListener', () => {});
    vi.stubGlobal('self', globalThis);
    vi.stubGlobal('location', new URL('http://relay.test/'));
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', async (path: string) => {
      paths.push(path);
      if (path === '/api/me') return Response.json(me);
      if (path.startsWith('/api/sync?')) return Response.json({ updates: [], cursor: 0, more: false });
      if (path.startsWith('/api/envelopes?')) return Response.json({ envelopes: [] });
      return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 });
    });
    const seeded = await openStore();
    await seeded.db.meta.put({ key: 'session', value: me });
    await seeded.db.secretChats.put({ id: 'chat-1', protoChatId: 'p1', peerId: 'bob', lastAt: 0 } as never);
    seeded.db.close();

    const { Core } = await import('$lib/worker/core');
    const core = new Core(() => undefined);
    await core.ready;
    await core.methods.init({});
    const ws = FakeSocket.last!;
    expect(ws.readyState).toBe(0); // not open yet
    const count = (prefix: string) => paths.filter((p) => p.startsWith(prefix)).length;
    await vi.waitFor(() => expect([count('/api/sync?'), count('/api/envelopes?')]).toEqual([1, 1]), { timeout: 10_000 });

    // The hello pulls again: the first pulls read the queues before the socket subscribed.
    ws.open();
    ws.receive({ t: 'hello', cursor: 0, envelopes: 1 });
    await vi.waitFor(() => expect([count('/api/sync?'), count('/api/envelopes?')]).toEqual([2, 2]), { timeout: 10_000 });
  });
});
