import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { runPurgeCheck } from '../../support/purge-check';

describe('self-destruct purge', () => {
  it('deletes only expired secret and cloud messages; rows without a deadline (or a legacy null one) stay', async () => {
    const { ok, details } = await runPurgeCheck('purge-check');
    expect(ok, details).toBe(true);
  });
});
