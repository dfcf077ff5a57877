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
