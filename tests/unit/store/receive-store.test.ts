import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { runReceiveStoreCheck } from '../../support/receive-store-check';

describe('what a secret receive asks of the store', () => {
  it('a copy already stored fails alone in the batch transaction, which commits the rest; seen envelopes are found by seq', async () => {
    const { ok, details } = await runReceiveStoreCheck('receive-store-check');
    expect(ok, details).toBe(true);
  });
});
