import { describe, expect, it } from 'vitest';
import { Device, stillExpr, type EngineAdapter } from '../../engines/driver';

/** An adapter whose page says the target is moving for the first `moving` asks. */
function fakeAdapter(moving: number) {
  const log: string[] = [];
  let asks = 0;
  const adapter: EngineAdapter = {
    engine: 'webkit',
    goto: async () => undefined,
    reload: async () => undefined,
    url: async () => 'http://x/',
    evaluate: async <R>(expr: string) => {
      const still = asks++ >= moving;
      log.push(`still? ${still}`);
      expect(expr).toBe(stillExpr({ role: 'link', name: 'Send message', exact: true }));
      return still as R;
    },
    click: async () => (log.push('click'), true),
    type: async () => true,
    screenshot: async () => undefined,
    errors: async () => [],
    close: async () => undefined
  };
  return { adapter, log };
}

describe('Device.click', () => {
  it('clicks only once the target stands still (a moving one would be missed)', async () => {
    const { adapter, log } = fakeAdapter(2);
    await new Device(adapter, 'http://x/').click({ role: 'link', name: 'Send message', exact: true }, 5000);
    expect(log).toEqual(['still? false', 'still? false', 'still? true', 'click']);
  });

  it('times out naming the target when it never stands still', async () => {
    const { adapter, log } = fakeAdapter(Infinity);
    await expect(new Device(adapter, 'http://x/').click({ role: 'link', name: 'Send message', exact: true }, 300)).rejects.toThrow(/Send message.*to click/);
    expect(log).not.toContain('click');
  });
});
