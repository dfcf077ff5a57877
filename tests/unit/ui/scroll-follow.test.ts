import { describe, expect, it } from 'vitest';
import { AT_BOTTOM, scrollNeeds } from '$lib/chat/chat-ui';

const scroller = (scrollHeight: number, scrollTop: number, clientHeight: number) => ({ scrollHeight, scrollTop, clientHeight }) as HTMLElement;

describe('scrollNeeds: following the newest row', () => {
  it('at the very end, or within AT_BOTTOM px of it, the reader is at the bottom', () => {
    expect(scrollNeeds(scroller(2000, 1400, 600), false).atBottom).toBe(true);
    expect(scrollNeeds(scroller(2000, 1400 - AT_BOTTOM + 1, 600), false).atBottom).toBe(true);
  });

  it('scrolled up further, the reader is not followed (a growing photo must not pull them down)', () => {
    expect(scrollNeeds(scroller(2000, 1400 - AT_BOTTOM, 600), false).atBottom).toBe(false);
    expect(scrollNeeds(scroller(2000, 300, 600), false)).toEqual({ older: false, newer: false, away: true, atBottom: false });
  });

  it('a list shorter than its viewport is at the bottom', () => {
    expect(scrollNeeds(scroller(300, 0, 600), false).atBottom).toBe(true);
  });
});
