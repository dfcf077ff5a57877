// Logging out wipes every draft with the rest of the device's data (worker/drafts.ts), secret chats' and cloud chats'.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import { cloudDraftId, secretDraftId, writeDraft } from '$lib/worker/drafts';
import type { SessionView } from '$lib/worker/protocol';

describe('drafts at logout', () => {
  it('are gone from the device once logout returns', async () => {
    vi.stubGlobal('addEventListener', () => {});
    // The relay is unreachable: the device is wiped anyway.
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('offline')));
    const session: SessionView = { user: { id: 'me', username: 'me', displayName: 'Me' }, device: { id: 'dev-1', name: 'test' } };
    const seeded = await openStore();
    await seeded.db.meta.put({ key: 'session', value: session });
    await writeDraft(seeded.db, seeded.vault!, cloudDraftId('bob'), { text: 'cloud words', replyTo: null });
    await seeded.db.drafts.put({ id: secretDraftId(crypto.randomUUID()), box: new Uint8Array(40) });
    seeded.db.close();

    const { Core } = await import('$lib/worker/core');
    const core = new Core(() => {});
    await core.ready;
    await expect(core.methods.draft({ peerId: 'bob' })).resolves.toMatchObject({ text: 'cloud words' });
    await core.methods.logout({});
    // The chat screen, still open through the wipe, saves what it holds: nothing lands in the new database.
    await core.methods.saveDraft({ peerId: 'bob', text: 'typed before the wipe', replyTo: null });
    const after = await openStore();
    expect(await after.db.drafts.count()).toBe(0);
    expect(await after.db.meta.get('session')).toBeUndefined();
    after.db.close();
    vi.unstubAllGlobals();
  });
});
