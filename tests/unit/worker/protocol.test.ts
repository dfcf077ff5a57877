import { describe, expect, it } from 'vitest';
import { parseResponse } from '$lib/worker/protocol';
import { parseRequest } from '$lib/worker/rpc/methods';

describe('worker postMessage boundary', () => {
  it('accepts well-formed calls only', () => {
    expect(parseRequest({ kind: 'call', id: 1, method: 'listChats', params: {} })).toMatchObject({ method: 'listChats' });
    for (const bad of [
      null,
      'x',
      { kind: 'call', id: 1, method: 'eval', params: {} },
      { kind: 'call', id: '1', method: 'init', params: {} },
      { kind: 'call', id: 1.5, method: 'init', params: {} },
      { kind: 'call', id: 1, method: 'init', params: null },
      { kind: 'call', id: 1, method: 'init', params: [] },
      { kind: 'call', id: 1, method: '__proto__', params: {} }
    ]) {
      expect(parseRequest(bad)).toBeNull();
    }
  });

  it('accepts well-formed answers only', () => {
    expect(parseResponse({ kind: 'result', id: 1, ok: true, value: 3 })).not.toBeNull();
    expect(parseResponse({ kind: 'result', id: 1, ok: false, error: { code: 'x', message: 'y' } })).not.toBeNull();
    expect(parseResponse({ kind: 'result', id: 1, ok: false, error: 'boom' })).toBeNull();
    expect(parseResponse({ kind: 'event', event: { type: 'chats' } })).not.toBeNull();
    expect(parseResponse({ kind: 'event' })).toBeNull();
  });
});
