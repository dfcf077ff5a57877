import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import type { SessionView } from '$lib/worker/protocol';
import { FakeSocket } from '../support/fake-socket';

const me: SessionView = { user: { id: 'me', username: 'me', displayName: 'Me' }, device: { id: 'dev-1', name: 'test' } };

/** At each hello the cloud catch-up and the secret queue's pull run side by side, on a slow network too. */
/** A worker signed in as `me` starts, its socket opens and the relay says hello with `envelopes` queued. */
async function startAndHello(envelopes: number): Promise<void> {
  const { Core } = await import('$lib/worker/core');
  const core = new Core(() => undefined);
  await core.ready;
  await core.methods.init({});
  const ws = FakeSocket.last!;
  ws.open();
  ws.receive({ t: 'hello', cursor: 0, envelopes });
}

/** Stubs the relay: the catch-up pull never ends (a slow network), the envelope queue is empty. Returns the paths asked. */
function slowSyncRelay(): string[] {
  const paths: string[] = [];
  vi.stubGlobal('fetch', async (path: string) => {
    paths.push(path);
    if (path === '/api/me') return Response.json(me);
    // The secret queue must not wait behind the catch-up.
    if (path.startsWith('/api/sync')) return new Promise<Response>(() => {});
    if (path.startsWith('/api/envelopes?')) return Response.json({ envelopes: [] });
    return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 });
  });
  return paths;
}

describe('worker hello', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('a hello with envelopes waiting: the secret pull does not wait for the cloud catch-up', async () => {
    vi.stubGlobal('addEventListener', () => {});
    vi.stubGlobal('self', globalThis);
    vi.stubGlobal('location', new URL('http://relay.test/'));
    vi.stubGlobal('WebSocket', FakeSocket);
    const paths = slowSyncRelay();
    const seeded = await openStore();
    await seeded.db.meta.put({ key: 'session', value: me });
    seeded.db.close();

    await startAndHello(3);
    await vi.waitFor(() => expect(paths.filter((p) => p.startsWith('/api/envelopes?'))).toHaveLength(1), { timeout: 10_000 });
    expect(paths.filter((p) => p.startsWith('/api/sync'))).toHaveLength(1);
  });

  it('a hello with nothing queued still pulls while envelopes are parked for a newer version (an updated app takes them at once)', async () => {
    const paths = slowSyncRelay();
    const seeded = await openStore();
    const envelope = { seq: 1, id: '00000000-0000-4000-8000-000000000001', fromDeviceId: 'dev-2', fromUserId: 'peer', body: 'AAAA', createdAt: 1, requestId: null };
    await seeded.db.parkedEnvelopes.put({ id: envelope.id, seq: 1, chatId: 'chat', envelope, at: 1, token: 't' });
    seeded.db.close();

    await startAndHello(0);
    await vi.waitFor(() => expect(paths.filter((p) => p.startsWith('/api/envelopes?'))).toHaveLength(1), { timeout: 10_000 });
  });
});
