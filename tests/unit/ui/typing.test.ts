// The peer's "typing…" (ChatWindow.peerTyping): shown for 5 s after a typing signal, and gone in the
// same update that shows the peer's next message, not 5 s later.
import { describe, expect, it } from 'vitest';
import { StillWindow } from '../support/still-window';
import type { WorkerEvent } from '$lib/worker/protocol';

type Row = { id: string; mine: boolean };

class TypingWindow extends StillWindow<Row> {
  protected override fromPeer(m: Row) {
    return !m.mine;
  }
  protected override onEvent(e: WorkerEvent) {
    if (e.type === 'typing') this.typing();
  }
  signal() {
    this.onEvent({ type: 'typing', peerId: 'p' });
  }
}

describe('ChatWindow typing', () => {
  it('shows typing… after a signal and hides it as soon as the peer’s next message is in the rows', () => {
    const w = new TypingWindow();
    w.messages = [{ id: 'a', mine: false }];
    w.now = Date.now();
    expect(w.peerTyping).toBe(false);
    w.signal();
    expect(w.peerTyping).toBe(true);
    // My own message does not end the peer's typing.
    w.messages = [...w.messages, { id: 'b', mine: true }];
    expect(w.peerTyping).toBe(true);
    // The typed message arrives: gone at once, though the 5 s are not over.
    w.messages = [...w.messages, { id: 'c', mine: false }];
    expect(w.typingUntil).toBeGreaterThan(w.now);
    expect(w.peerTyping).toBe(false);
    // The peer types again: shown again.
    w.signal();
    expect(w.peerTyping).toBe(true);
  });

  it('ends after 5 s without a message', () => {
    const w = new TypingWindow();
    w.now = Date.now();
    w.signal();
    expect(w.peerTyping).toBe(true);
    w.now = Date.now() + 5001;
    expect(w.peerTyping).toBe(false);
  });

  it('counts the first message of an empty chat', () => {
    const w = new TypingWindow();
    w.now = Date.now();
    w.signal();
    w.messages = [{ id: 'x', mine: false }];
    expect(w.peerTyping).toBe(false);
  });
});
