import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerFrame } from '$lib/api/wire';
import { RelaySocket } from '$lib/worker/socket';
import { FakeSocket } from '../support/fake-socket';

function harness(options: { pingEvery?: number; pongTimeout?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const events: string[] = [];
  const frames: ServerFrame[] = [];
  const socket = new RelaySocket(
    'ws://relay/ws',
    {
      onOpen: () => events.push('open'),
      onClose: (reason) => events.push(`close:${reason}`),
      onFrame: (f) => frames.push(f)
    },
    {
      pingEvery: 10_000,
      pongTimeout: 5_000,
      ...options,
      create: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s as unknown as WebSocket;
      }
    }
  );
  const last = () => sockets[sockets.length - 1]!;
  return { socket, sockets, events, frames, last };
}

describe('relay socket heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pings on a schedule and declares a silent socket dead after the pong timeout, then reconnects', () => {
    const { socket, sockets, events, last } = harness();
    socket.start();
    last().open();
    expect(events).toEqual(['open']);

    vi.advanceTimersByTime(10_000);
    expect(last().sent).toEqual([{ t: 'ping', n: 1 }]);
    // Answered: the socket lives on.
    last().receive({ t: 'pong', n: 1 });
    vi.advanceTimersByTime(5_000);
    expect(events).toEqual(['open']);

    // The next ping goes unanswered (the network vanished without closing the socket).
    vi.advanceTimersByTime(5_000);
    expect(last().sent).toHaveLength(2);
    vi.advanceTimersByTime(4_999);
    expect(events).toEqual(['open']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['open', 'close:dead']);
    expect(sockets[0]!.closed).toBe(true);
    expect(socket.open).toBe(false);

    // A new socket is tried after the backoff.
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
  });

  it('check() with a short deadline finds a dead socket within that deadline', () => {
    const { socket, events, last } = harness();
    socket.start();
    last().open();
    socket.check(1_500);
    expect(last().sent).toEqual([{ t: 'ping', n: 1 }]);
    vi.advanceTimersByTime(1_499);
    expect(events).toEqual(['open']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['open', 'close:dead']);
  });

  it('any frame from the relay counts as alive; pongs are not handed on', () => {
    const { socket, events, frames, last } = harness();
    socket.start();
    last().open();
    socket.check(1_000);
    last().receive({ t: 'typing', peerId: 'bob' });
    vi.advanceTimersByTime(2_000);
    expect(events).toEqual(['open']);
    last().receive({ t: 'pong', n: 1 });
    expect(frames).toEqual([{ t: 'typing', peerId: 'bob' }]);
  });

  it('a stopped socket neither pings nor reconnects', () => {
    const { socket, sockets, last } = harness();
    socket.start();
    last().open();
    socket.stop();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(last().sent).toEqual([]);
  });
});

describe('relay socket reconnect', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('kick() reconnects at once, skipping a long backoff wait', () => {
    const { socket, sockets, last } = harness();
    socket.start();
    // Eight failed attempts: the next wait is many seconds.
    for (let i = 0; i < 8; i++) {
      last().fail();
      vi.advanceTimersByTime(30_000);
    }
    const before = sockets.length;
    last().fail();
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(before); // still waiting out the backoff
    socket.kick();
    expect(sockets).toHaveLength(before + 1);
  });

  it('while messages are queued, reconnect attempts come at most ~1 s apart (they go out soon after the relay answers)', () => {
    const { socket, sockets, last } = harness();
    socket.start();
    for (let i = 0; i < 8; i++) {
      last().fail();
      vi.advanceTimersByTime(30_000);
    }
    last().fail(); // a wait of 15–30 s is scheduled
    socket.urgent = true;
    socket.hurry();
    const before = sockets.length;
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(before + 1);
    // And every later attempt too.
    last().fail();
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(before + 2);
  });
});
