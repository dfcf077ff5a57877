// The page's block list (ui/blocks.svelte.ts): the check the screens use, and an Unblock button's press
// as BlockedBar and Settings' Blocked users card both run it.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const call = vi.fn();
vi.mock('$lib/worker/client', () => ({ core: () => ({ call }), errorMessage: (e: unknown) => (e instanceof Error ? `said: ${e.message}` : String(e)) }));

const { blocks, inBlockList, unblockPressed } = await import('$lib/ui/blocks.svelte');

const bob = { id: 'u-bob', username: 'bob', displayName: 'Bob', since: 1 };
const carol = { id: 'u-carol', username: 'carol', displayName: 'Carol', since: 2 };

/** What the button's state went through, in order. */
function recorder() {
  const seen: string[] = [];
  return { seen, show: { busy: (on: boolean) => void seen.push(`busy ${on}`), error: (text: string | null) => void seen.push(`error ${text}`) } };
}

beforeEach(() => {
  call.mockReset();
  blocks.users = [bob, carol];
});

describe('inBlockList', () => {
  it('finds a user in the list as last read, and nobody before the first read or without an id', () => {
    expect(inBlockList(blocks.users, 'u-bob')).toBe(true);
    expect(inBlockList(blocks.users, 'u-dave')).toBe(false);
    expect(inBlockList(null, 'u-bob')).toBe(false);
    expect(inBlockList(blocks.users, undefined)).toBe(false);
  });
});

describe('unblockPressed', () => {
  it('is busy while the worker unblocks, clears the error first, and drops the user from the list', async () => {
    call.mockResolvedValue(undefined);
    const { seen, show } = recorder();
    await unblockPressed('u-bob', show);
    expect(call).toHaveBeenCalledWith('unblockUser', { userId: 'u-bob' });
    expect(seen).toEqual(['busy true', 'error null', 'busy false']);
    expect(blocks.users?.map((u) => u.id)).toEqual(['u-carol']);
  });

  it('says a refusal in words, is no longer busy, and keeps the list', async () => {
    call.mockRejectedValue(new Error('offline'));
    const { seen, show } = recorder();
    await unblockPressed('u-bob', show);
    expect(seen).toEqual(['busy true', 'error null', 'error said: offline', 'busy false']);
    expect(blocks.users?.map((u) => u.id)).toEqual(['u-bob', 'u-carol']);
  });
});
