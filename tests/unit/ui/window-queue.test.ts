import { describe, expect, it } from 'vitest';
import { windowQueue } from '$lib/chat-ui';

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
