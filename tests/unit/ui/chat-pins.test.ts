// The open chat's pinned bar (ChatPins): read once when a chat is shown, again on the worker's change
// events of that chat only; an answer for a chat no longer shown is dropped.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatPins, type PinTarget } from '$lib/chat/pins.svelte';
import type { ChatWindow } from '$lib/chat/window.svelte';
import type { PinnedView, WorkerEvent } from '$lib/worker/protocol';

/** The worker: each chat's pins, the `pinnedMessages` calls made, and the page's event listener. */
const worker = vi.hoisted(() => ({
  pins: new Map<string, PinnedView[]>(),
  reads: [] as string[],
  hold: null as Promise<void> | null,
  listener: null as ((e: WorkerEvent) => void) | null
}));

vi.mock('$lib/worker/client', () => ({
  core: () => ({
    on: (f: (e: WorkerEvent) => void) => {
      worker.listener = f;
      return () => (worker.listener = null);
    },
    call: async (method: string, p: PinTarget) => {
      if (method !== 'pinnedMessages') throw new Error(`unexpected call ${method}`);
      worker.reads.push(p.id);
      const answer = worker.pins.get(p.id) ?? [];
      await worker.hold;
      return answer;
    }
  }),
  errorMessage: String
}));

const pin = (id: string, at: number): PinnedView => ({ id, at, snippet: `text of ${id}` });
const win = {} as ChatWindow<{ id: string; text: string; mine: boolean }>;

beforeEach(() => {
  worker.pins = new Map([
    ['bob', [pin('b2', 2), pin('b1', 1)]],
    ['carol', [pin('c1', 1)]]
  ]);
  worker.reads = [];
  worker.hold = null;
  worker.listener = null;
});

describe('ChatPins', () => {
  it('a chat screen opening (start, then show) reads the pins once', async () => {
    const pins = new ChatPins(() => ({ kind: 'cloud', id: 'bob' }), win);
    const stop = pins.start();
    await pins.show();
    expect(worker.reads).toEqual(['bob']);
    expect(pins.current).toEqual({ pin: pin('b2', 2), number: 2 });
    stop();
    expect(worker.listener).toBeNull();
  });

  it('reads again on a change event of its chat only, and shows a new pin from either side', async () => {
    let id = 'bob';
    const pins = new ChatPins(() => ({ kind: 'cloud', id }), win);
    pins.start();
    await pins.show();
    worker.listener!({ type: 'messages', peerId: 'carol' });
    worker.listener!({ type: 'secret', chatId: 'bob' } as WorkerEvent);
    expect(worker.reads).toEqual(['bob']);
    worker.pins.set('bob', [pin('b3', 3), pin('b2', 2), pin('b1', 1)]);
    worker.listener!({ type: 'messages', peerId: 'bob' });
    await vi.waitFor(() => expect(pins.pins).toHaveLength(3));
    expect(pins.current?.pin.id).toBe('b3');
    expect(worker.reads).toEqual(['bob', 'bob']);
    id = 'carol';
    await pins.show();
    expect(pins.pins.map((p) => p.id)).toEqual(['c1']);
  });

  it("another chat shown: nothing of the last one's shows, and its late answer is dropped", async () => {
    let id = 'bob';
    const pins = new ChatPins(() => ({ kind: 'cloud', id }), win);
    let release = () => {};
    worker.hold = new Promise<void>((r) => (release = r));
    const first = pins.show();
    id = 'carol';
    worker.hold = null;
    await pins.show();
    expect(pins.pins.map((p) => p.id)).toEqual(['c1']);
    release();
    await first;
    expect(pins.pins.map((p) => p.id)).toEqual(['c1']);
  });
});
