// The chat list's search kept across screens (list-search.svelte.ts): where it goes on, what re-runs it, a repeated tap.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FOLLOW_DELAY, followMessages, isChatPath, isShown, jumpAgain, onJumpAgain } from '$lib/ui/list-search.svelte';
import type { WorkerEvent } from '$lib/worker/protocol';

describe('where the search goes on', () => {
  it('goes on into a chat only', () => {
    expect(isChatPath('/chat/p1')).toBe(true);
    expect(isChatPath('/secret/s1')).toBe(true);
    expect(isChatPath('/secret/s1/key')).toBe(false);
    expect(isChatPath('/u/bob')).toBe(false);
    expect(isChatPath('/settings')).toBe(false);
    expect(isChatPath('/')).toBe(false);
  });

  it('knows the result shown now', () => {
    const url = new URL('https://c.example/chat/p1?m=m1');
    expect(isShown(url, '/chat/p1', 'm1')).toBe(true);
    expect(isShown(url, '/chat/p1', 'm2')).toBe(false);
    expect(isShown(url, '/secret/p1', 'm1')).toBe(false);
    expect(isShown(new URL('https://c.example/chat/p1'), '/chat/p1', 'm1')).toBe(false);
  });
});

describe('followMessages', () => {
  afterEach(() => vi.useRealTimers());

  const harness = () => {
    let listener: ((e: WorkerEvent) => void) | null = null;
    const rerun = vi.fn();
    const stop = followMessages((fn) => {
      listener = fn;
      return () => (listener = null);
    }, rerun);
    return { send: (e: WorkerEvent) => listener?.(e), rerun, stop, subscribed: () => !!listener };
  };

  it('re-runs once after a burst of message events, not for typing or presence', () => {
    vi.useFakeTimers();
    const h = harness();
    h.send({ type: 'typing', peerId: 'p' });
    h.send({ type: 'presence', userId: 'p' });
    h.send({ type: 'chats' });
    vi.advanceTimersByTime(FOLLOW_DELAY * 2);
    expect(h.rerun).not.toHaveBeenCalled();
    h.send({ type: 'messages', peerId: 'p' });
    vi.advanceTimersByTime(FOLLOW_DELAY - 1);
    h.send({ type: 'secret', chatId: 's', rows: ['r'] });
    vi.advanceTimersByTime(FOLLOW_DELAY - 1);
    expect(h.rerun).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(h.rerun).toHaveBeenCalledTimes(1);
  });

  it('stopped: a pending run is dropped and the events are no longer heard', () => {
    vi.useFakeTimers();
    const h = harness();
    h.send({ type: 'messages', peerId: 'p' });
    h.stop();
    vi.advanceTimersByTime(FOLLOW_DELAY * 2);
    expect(h.rerun).not.toHaveBeenCalled();
    expect(h.subscribed()).toBe(false);
  });
});

describe('a result tapped again', () => {
  it('reaches the open chat screens until they stop listening', () => {
    const heard: string[] = [];
    const off = onJumpAgain((id) => heard.push(id));
    jumpAgain('m1');
    off();
    jumpAgain('m2');
    expect(heard).toEqual(['m1']);
  });
});
