import { describe, expect, it } from 'vitest';
import { connectionText } from '$lib/ui/connection';

describe('connection banner text', () => {
  it('says the state in words, with the queued messages while they cannot go out', () => {
    expect(connectionText('online', 3)).toBe('');
    expect(connectionText('offline')).toBe('Waiting for network…');
    expect(connectionText('offline', 1)).toBe('Waiting for network… 1 message queued');
    expect(connectionText('offline', 2)).toBe('Waiting for network… 2 messages queued');
    expect(connectionText('connecting', 2)).toBe('Connecting… 2 messages queued');
    expect(connectionText('updating', 2)).toBe('Updating…');
  });

  it('counts the changes made offline (edits, reactions, deletes, chat settings) beside the messages', () => {
    expect(connectionText('offline', 0, 1)).toBe('Waiting for network… 1 change queued');
    expect(connectionText('offline', 2, 3)).toBe('Waiting for network… 2 messages and 3 changes queued');
    expect(connectionText('online', 0, 3)).toBe('');
  });
});
