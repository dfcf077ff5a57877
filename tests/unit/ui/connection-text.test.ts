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
});
