import { describe, expect, it } from 'vitest';
import { CHAT_WINDOW, joinNewer, joinOlder, windowQueue } from '$lib/chat/chat-ui';

describe('windowQueue', () => {
  it('runs loads one at a time in order and merges refreshes that wait', async () => {
    const q = windowQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = q.run(async () => {
      log.push('jump:start');
      await gate;
      log.push('jump:end');
    });
    const r1 = q.refresh(async () => void log.push('refresh'));
    const r2 = q.refresh(async () => void log.push('refresh-2'));
    expect(r2).toBe(r1);
    const failing = q.run(async () => {
      throw new Error('offline');
    });
    const after = q.run(async () => void log.push('older'));
    release();
    await slow;
    await r1;
    await expect(failing).rejects.toThrow('offline');
    await after;
    // A refresh asked for once the previous one started is a new one.
    await q.refresh(async () => void log.push('refresh-3'));
    expect(log).toEqual(['jump:start', 'jump:end', 'refresh', 'older', 'refresh-3']);
  });
});

describe('window pages', () => {
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
  it('join older and newer pages, keeping at most CHAT_WINDOW rows and saying which end was cut', () => {
    expect(CHAT_WINDOW).toBe(300);
    expect(joinOlder(range(1, 50), range(51, 100))).toEqual({ rows: range(1, 100), trimmed: false });
    expect(joinOlder(range(1, 50), range(51, 330))).toEqual({ rows: range(1, 300), trimmed: true });
    expect(joinNewer(range(1, 280), range(281, 330))).toEqual({ rows: range(31, 330), trimmed: true });
    expect(joinNewer(range(1, 10), [])).toEqual({ rows: range(1, 10), trimmed: false });
  });

  it('a once-load is queued a single time however many scroll events ask for it', async () => {
    const q = windowQueue();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    for (let i = 0; i < 5; i++)
      q.once('older', async () => {
        runs++;
        await gate;
      });
    release();
    await q.run(async () => {});
    expect(runs).toBe(1);
    q.once('older', async () => void runs++);
    await q.run(async () => {});
    expect(runs).toBe(2);
  });
});
