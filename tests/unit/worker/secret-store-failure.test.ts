// A received message the device cannot store (an aborted transaction, a full disk) is not the sender's
// fault: it is neither counted as rejected nor acknowledged to the relay, so it comes back and is shown
// once, in order — before, the failure was recorded as a rejection and acknowledged, and the message lost.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { secretMessages } from '$lib/worker/secret';
import { StoreFailure, type Diagnostics } from '$lib/worker/secret/errors';
import { secretPair, type SecretDevice } from '../support/secret-pair';
import { abortNextCommit } from '../support/abort-commit';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('secret-store-failure');

const shown = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 100 })).messages.flatMap((m) => (m.kind === 'service' ? [] : [m.text]));
const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.rejected ?? 0;

describe('a received message that cannot be stored', () => {
  it('stays on the relay unacknowledged, is not counted as rejected, and is shown once, in order, on the next pull', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { relay, alice, bob, chatId } = await established();
      for (const t of ['one', 'two', 'three']) await alice.engine.sendText(chatId, t, null);
      await alice.engine.flush();
      const before = await rejected(bob);
      const spy = abortNextCommit(bob);
      await expect(bob.engine.pull()).rejects.toBeInstanceOf(StoreFailure);
      spy.mockRestore();
      expect(await shown(bob, chatId)).toEqual([]);
      expect(await rejected(bob)).toBe(before);
      // All three still wait on the relay: the failed one and those after it.
      expect((await relay.as(bob.member.deviceId).pull(0, 100)).envelopes).toHaveLength(3);
      // The engine pulls again by itself after a while.
      await vi.advanceTimersByTimeAsync(2_000);
      await vi.waitFor(async () => expect(await shown(bob, chatId)).toEqual(['one', 'two', 'three']), { timeout: 10_000 });
      expect(await rejected(bob)).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });
});
