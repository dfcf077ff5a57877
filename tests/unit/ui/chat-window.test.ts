// The chat window controller ($lib/chat/window.svelte.ts) without a screen: paging older and newer
// pages over a stored history, the window trimmed at CHAT_WINDOW rows, the jump to the newest page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_PAGE, CHAT_WINDOW } from '$lib/chat/chat-ui';
import { ChatWindow } from '$lib/chat/window.svelte';

type Row = { id: string; n: number };
const history: Row[] = Array.from({ length: 1000 }, (_, n) => ({ id: `m${n}`, n }));

class FakeWindow extends ChatWindow<Row> {
  latestCalls = 0;
  constructor() {
    super(1000);
  }
  protected async older(oldest: Row) {
    const rows = history.slice(Math.max(0, oldest.n - CHAT_PAGE), oldest.n);
    return { messages: rows, hasMore: rows.length > 0 && rows[0].n > 0 };
  }
  protected async newer(newest: Row) {
    const rows = history.slice(newest.n + 1, newest.n + 1 + CHAT_PAGE);
    return { messages: rows, hasNewer: rows.length > 0 && rows[rows.length - 1].n < history.length - 1 };
  }
  protected async latest() {
    this.latestCalls++;
    this.messages = history.slice(-20);
    this.hasMore = true;
    this.hasNewer = false;
  }
  protected override async around(id: string) {
    const n = history.findIndex((m) => m.id === id);
    if (n < 0) return null;
    const rows = history.slice(Math.max(0, n - 25), n + 26);
    return { messages: rows, hasMore: rows[0].n > 0, hasNewer: rows[rows.length - 1].n < history.length - 1 };
  }
  protected onEvent() {}
  protected readonly kind = 'cloud';
  protected chatId() {
    return 'chat';
  }
  protected loadDraft = async () => null;
  protected async saveDraft() {}
  send = async () => {};
  onInput = () => {};
  deleteSelected = async () => {};
  async deleteFor() {}
}

const raf = globalThis.requestAnimationFrame;
beforeAll(() => {
  globalThis.requestAnimationFrame = () => 0;
});
afterAll(() => {
  globalThis.requestAnimationFrame = raf;
});

describe('ChatWindow', () => {
  it('pages older rows above, trims the newest beyond CHAT_WINDOW, and pages them back below', async () => {
    const w = new FakeWindow();
    w.messages = history.slice(-20);
    w.hasMore = true;
    for (let i = 0; i < 6; i++) await w.loadOlder();
    expect(w.messages.length).toBe(CHAT_WINDOW);
    expect(w.hasNewer).toBe(true);
    expect(w.loadingOlder).toBe(false);
    const top = w.messages[0].n;
    expect(w.messages.map((m) => m.n)).toEqual(history.slice(top, top + CHAT_WINDOW).map((m) => m.n));
    await w.loadNewer();
    expect(w.messages.length).toBe(CHAT_WINDOW);
    // The 20 newest rows came back below; as many of the oldest went.
    expect(w.messages[0].n).toBe(top + 20);
    expect(w.messages.at(-1)?.n).toBe(history.length - 1);
    expect(w.hasNewer).toBe(false);
    expect(w.hasMore).toBe(true);
  });

  it('asks for nothing older at the start of the history, nor newer at its end', async () => {
    const w = new FakeWindow();
    w.messages = history.slice(0, 10);
    await w.loadOlder();
    await w.loadNewer();
    expect(w.messages.map((m) => m.n)).toEqual(history.slice(0, 10).map((m) => m.n));
  });

  it('goes back to the newest page only when the window stops short of it', async () => {
    const w = new FakeWindow();
    w.messages = history.slice(-20);
    w.awayFromBottom = true;
    await w.toLatest();
    expect(w.latestCalls).toBe(0);
    expect(w.awayFromBottom).toBe(false);
    w.messages = history.slice(0, 20);
    w.hasNewer = true;
    await w.toLatest();
    expect(w.latestCalls).toBe(1);
    expect(w.messages.at(-1)?.n).toBe(history.length - 1);
  });

  it('re-centres on any message however far back (a search result), then pages on from there', async () => {
    const w = new FakeWindow();
    w.messages = history.slice(-20);
    w.hasMore = true;
    expect(await w.showAround('m40')).toBe(true);
    expect(w.messages.map((m) => m.n)).toEqual(history.slice(15, 66).map((m) => m.n));
    expect([w.hasMore, w.hasNewer]).toEqual([true, true]);
    await w.loadNewer();
    expect(w.messages.at(-1)?.n).toBe(115);
    await w.loadOlder();
    expect(w.messages[0].n).toBe(0);
    expect(w.hasMore).toBe(false);
    // A message not stored leaves the window as it was.
    const before = w.messages;
    expect(await w.showAround('gone')).toBe(false);
    expect(w.messages).toBe(before);
  });

  /** The page a chat opens at, as the worker's messagesOpening gives it: around `first` unread, or the newest rows. */
  const opening = (first: number | null) => {
    if (first === null) return { messages: history.slice(-20), hasMore: true, hasNewer: false, unreadFrom: null };
    const rows = history.slice(Math.max(0, first - 25), first + 26);
    return { messages: rows, hasMore: rows[0].n > 0, hasNewer: rows[rows.length - 1].n < history.length - 1, unreadFrom: `m${first}` };
  };

  /** A scroller whose rows are 50 px tall from `top` (the row of message n at `top + 50 n`), the divider just above its first unread row. */
  function fakeScroller(w: FakeWindow) {
    const rowTop = (n: number) => 100 + 50 * (n - w.messages[0].n) - fake.scrollTop;
    const fake = {
      scrollTop: 0,
      scrollHeight: 50 * 60,
      clientHeight: 600,
      getBoundingClientRect: () => ({ top: 100, bottom: 700 }),
      querySelector: (sel: string) => {
        const n = sel === '[data-unread-divider]' ? Number(w.unreadFrom?.slice(1)) : NaN;
        return Number.isNaN(n) ? null : { getBoundingClientRect: () => ({ top: rowTop(n) - 30 }) };
      },
      querySelectorAll: () => []
    };
    return fake;
  }

  it('opens at the first unread message: the divider above it near the top, the newest rows below not loaded', async () => {
    const w = new FakeWindow();
    const scroller = fakeScroller(w);
    w.scroller = scroller as unknown as HTMLDivElement;
    await w.open(opening(900));
    expect(w.unreadFrom).toBe('m900');
    expect(w.messages.map((m) => m.n)).toEqual(history.slice(875, 926).map((m) => m.n));
    expect([w.hasMore, w.hasNewer]).toEqual([true, true]);
    // The divider (30 px above row m900, 25 rows down the list) is 8 px below the top edge, not at the bottom.
    expect(scroller.scrollTop).toBe(25 * 50 - 30 - 8);
    expect(scroller.scrollTop).toBeLessThan(scroller.scrollHeight - scroller.clientHeight);
  });

  it('keeps the divider where it was put while the chat is open, and drops it when another chat opens', async () => {
    const w = new FakeWindow();
    await w.open(opening(900));
    await w.loadNewer();
    await w.loadOlder();
    await w.toLatest();
    expect(w.unreadFrom).toBe('m900');
    w.reset();
    expect(w.unreadFrom).toBeNull();
  });

  it('opens at the newest rows, scrolled to the bottom, with nothing unread', async () => {
    const w = new FakeWindow();
    const scroller = fakeScroller(w);
    w.scroller = scroller as unknown as HTMLDivElement;
    await w.open(opening(null));
    expect(w.unreadFrom).toBeNull();
    expect(w.messages.at(-1)?.n).toBe(history.length - 1);
    expect(w.hasNewer).toBe(false);
    expect(scroller.scrollTop).toBe(scroller.scrollHeight);
  });

  it('selects and unselects rows; reset (another chat opens) empties the window and the selection', () => {
    const w = new FakeWindow();
    w.messages = history.slice(0, 3);
    w.hasMore = w.hasNewer = true;
    w.toggle(history[1]);
    expect([...w.selected]).toEqual(['m1']);
    w.toggle(history[1]);
    expect(w.selected.size).toBe(0);
    w.toggle(history[2]);
    w.reset();
    expect(w.selected.size).toBe(0);
    expect(w.messages).toEqual([]);
    expect(w.hasMore || w.hasNewer).toBe(false);
  });
});
