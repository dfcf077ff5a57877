// An open cloud chat follows the peer's read marker: every one of my rows in the window up to it shows two
// ticks, not only those of the last page its refresh re-reads, and no other row is read for it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHAT_PAGE } from '$lib/chat/chat-ui';
import { CloudWindow } from '$lib/chat/cloud-window.svelte';
import type { MessageView, WorkerEvent } from '$lib/worker/protocol';

/** The worker's store of one chat: my messages 1..n, and how far the peer has read them. */
const store = vi.hoisted(() => ({ n: 0, peerRead: 0, rowsRead: 0 }));
const view = (seq: number): MessageView => ({
  id: `m${seq}`,
  seq,
  text: `message ${seq}`,
  replyTo: null,
  mine: true,
  senderId: 'me',
  createdAt: seq,
  ticks: seq <= store.peerRead ? 'read' : 'sent'
});
const seqs = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

vi.mock('$lib/worker/client', () => ({
  core: () => ({
    on: () => () => {},
    onLeave: () => () => {},
    call: async (method: string, p: { afterSeq?: number; limit?: number; fromSeq?: number; toSeq?: number; ids?: string[] }) => {
      if (method === 'messages') {
        const rows = seqs(p.afterSeq! + 1, Math.min(store.n, p.afterSeq! + p.limit!)).map(view);
        store.rowsRead += rows.length;
        return { messages: rows, hasMore: true, hasNewer: p.afterSeq! + p.limit! < store.n };
      }
      if (method === 'messageIds') return seqs(p.fromSeq!, p.toSeq!).map((s) => `m${s}`);
      throw new Error(`unexpected call ${method}`);
    }
  }),
  errorMessage: String
}));

class Window extends CloudWindow {
  constructor() {
    super(() => 'bob');
  }
  /** The worker's event, as the page hears it; resolves once the refresh it starts has run. */
  async hear(e: WorkerEvent) {
    this.onEvent(e);
    await this.ops.run(async () => {});
  }
}

const ticksOf = (w: Window) => new Set(w.messages.map((m) => m.ticks));

beforeEach(() => {
  Object.assign(store, { n: 0, peerRead: 0, rowsRead: 0 });
  vi.stubGlobal('requestAnimationFrame', () => 0);
});
afterEach(() => vi.unstubAllGlobals());

describe('the cloud window and the peer reading', () => {
  it('shows every row of mine up to the read marker as read, the older ones in place', async () => {
    store.n = 3 * CHAT_PAGE;
    const w = new Window();
    w.messages = seqs(1, store.n).map(view);
    w.hasMore = false;
    expect(ticksOf(w)).toEqual(new Set(['sent']));

    store.peerRead = store.n - 10;
    await w.hear({ type: 'messages', peerId: 'bob', peerRead: store.peerRead });
    expect(w.messages.map((m) => m.seq)).toEqual(seqs(1, store.n));
    expect(w.messages.filter((m) => m.ticks === 'read').map((m) => m.seq)).toEqual(seqs(1, store.peerRead));
    expect(w.messages.filter((m) => m.ticks === 'sent').map((m) => m.seq)).toEqual(seqs(store.peerRead + 1, store.n));
    // The refresh read its last page only, as before.
    expect(store.rowsRead).toBe(CHAT_PAGE);
  });

  it('does so scrolled far back too, reading no row', async () => {
    store.n = 1000;
    const w = new Window();
    w.messages = seqs(1, 300).map(view);
    w.hasNewer = true;
    store.peerRead = store.n;
    await w.hear({ type: 'messages', peerId: 'bob', peerRead: store.peerRead });
    expect(ticksOf(w)).toEqual(new Set(['read']));
    expect(store.rowsRead).toBe(0);
  });

  it('leaves the rows alone for an event without a marker, or another chat', async () => {
    store.n = 100;
    const w = new Window();
    w.messages = seqs(1, 100).map(view);
    w.hasNewer = true;
    await w.hear({ type: 'messages', peerId: 'bob' });
    await w.hear({ type: 'messages', peerId: 'carol', peerRead: 100 });
    expect(ticksOf(w)).toEqual(new Set(['sent']));
  });
});
