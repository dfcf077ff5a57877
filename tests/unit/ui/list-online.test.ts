// The chat list's online dots (chat/list-online.svelte.ts): the rows' people asked at once, only an exact
// "online" shown, a burst of presence events one ask, everyone asked again once connected, and people
// leaving the list forgotten.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerEvent } from '$lib/worker/protocol';

const call = vi.fn();
let listeners: ((e: WorkerEvent) => void)[] = [];
vi.mock('$lib/worker/client', () => ({
  core: () => ({
    call,
    on: (l: (e: WorkerEvent) => void) => {
      listeners.push(l);
      return () => (listeners = listeners.filter((x) => x !== l));
    }
  })
}));

const { ListOnline } = await import('$lib/chat/list-online.svelte');
const emit = (e: WorkerEvent) => listeners.forEach((l) => l(e));

let served: Record<string, unknown>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  served = {};
  call.mockReset();
  call.mockImplementation(async (_m: string, { userIds }: { userIds: string[] }) => Object.fromEntries(userIds.filter((id) => served[id]).map((id) => [id, served[id]])));
});
afterEach(() => {
  listeners = [];
  vi.useRealTimers();
});

const flush = async () => {
  await vi.advanceTimersByTimeAsync(100);
};

describe('ListOnline', () => {
  it('asks for the rows at once and shows only an exact "online"', async () => {
    served = { a: { online: true }, b: { at: 1_700_000_000_000 }, c: { approx: 'recently' } };
    const list = new ListOnline();
    list.show(['a', 'b', 'c', 'd']);
    await flush();
    expect(call).toHaveBeenCalledTimes(1);
    expect(call).toHaveBeenCalledWith('lastSeenMany', { userIds: ['a', 'b', 'c', 'd'] });
    expect([...list.online]).toEqual(['a']);

    // The same rows again (a re-sort): nothing asked; a row gone: forgotten.
    list.show(['b', 'a', 'c', 'd']);
    list.show(['b', 'c', 'd']);
    await flush();
    expect(call).toHaveBeenCalledTimes(1);
    expect([...list.online]).toEqual([]);
  });

  it('gathers a burst of presence events into one ask, ignores people not in the list, asks all again once connected', async () => {
    const list = new ListOnline();
    const stop = list.start();
    list.show(['a', 'b']);
    await flush();
    call.mockClear();

    served = { a: { online: true }, b: { online: true } };
    emit({ type: 'presence', userId: 'a' });
    emit({ type: 'presence', userId: 'b' });
    emit({ type: 'presence', userId: 'zed' });
    await flush();
    expect(call.mock.calls).toEqual([['lastSeenMany', { userIds: ['a', 'b'] }]]);
    expect([...list.online].sort()).toEqual(['a', 'b']);

    // Offline meanwhile, the asks got nothing: once connected, everyone is asked again.
    served = { b: { online: true } };
    call.mockClear();
    emit({ type: 'connection', state: 'online' });
    await flush();
    expect(call.mock.calls).toEqual([['lastSeenMany', { userIds: ['a', 'b'] }]]);
    expect([...list.online]).toEqual(['b']);

    stop();
    call.mockClear();
    emit({ type: 'presence', userId: 'a' });
    await flush();
    expect(call).not.toHaveBeenCalled();
  });
});
