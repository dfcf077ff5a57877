import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import type { SessionView } from '$lib/worker/protocol';

/**
 * The route asks for its chat and first page alongside `init`, before init has run: a device with a
 * stored session must answer them, not fail once with 'unauthorized' (which cost a second request).
 */
describe('worker start-up', () => {
  it('serves calls sent before init with the stored session', async () => {
    vi.stubGlobal('addEventListener', () => {});
    const session: SessionView = { user: { id: 'me', username: 'me', displayName: 'Me' }, device: { id: 'dev-1', name: 'test' } };
    const seeded = await openStore();
    await seeded.db.meta.put({ key: 'session', value: session });
    seeded.db.close();

    const { Core } = await import('$lib/worker/core');
    const core = new Core(() => {});
    await core.ready;
    // Nothing stored for this peer, and no network asked for: an empty first page.
    await expect(core.methods.messages({ peerId: 'bob', limit: 50 })).resolves.toMatchObject({ messages: [], hasNewer: false });
    vi.unstubAllGlobals();
  });
});
