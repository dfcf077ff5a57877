import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSendKey, toggled, typingNotifier } from '$lib/chat/chat-ui';
import { fileSize } from '$lib/ui/format';

afterEach(() => vi.useRealTimers());

describe('chat screen helpers', () => {
  it('toggles an id in a selection without mutating it', () => {
    const a = new Set(['x']);
    const b = toggled(a, 'y');
    expect([...b].sort()).toEqual(['x', 'y']);
    expect([...toggled(b, 'x')]).toEqual(['y']);
    expect([...a]).toEqual(['x']);
  });

  it('sends "typing" at most every 3 seconds', () => {
    vi.useFakeTimers();
    const notify = vi.fn(() => Promise.resolve());
    const typing = typingNotifier(notify);
    typing();
    typing();
    vi.advanceTimersByTime(2999);
    typing();
    expect(notify).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    typing();
    expect(notify).toHaveBeenCalledTimes(2);
    // A message sent (the peer's "typing…" ends with it): the next one typed says so at once.
    vi.advanceTimersByTime(500);
    typing.reset();
    typing();
    expect(notify).toHaveBeenCalledTimes(3);
  });

  it('Enter sends; Shift+Enter and IME composition do not', () => {
    const key = (init: Partial<KeyboardEvent>) => ({ key: 'Enter', shiftKey: false, isComposing: false, ...init }) as KeyboardEvent;
    expect(isSendKey(key({}))).toBe(true);
    expect(isSendKey(key({ shiftKey: true }))).toBe(false);
    expect(isSendKey(key({ isComposing: true }))).toBe(false);
    expect(isSendKey(key({ key: 'a' }))).toBe(false);
  });
});

describe('file sizes', () => {
  it('read as bytes, kilobytes and megabytes', () => {
    expect(fileSize(512)).toBe('512 B');
    expect(fileSize(14 * 1024)).toBe('14 KB');
    expect(fileSize(3.2 * 1048576)).toBe('3.2 MB');
  });
});
