import { describe, expect, it } from 'vitest';
import { z } from '$lib/api/zod';
import { toRpcError } from '$lib/worker/rpc-error';
import { dispatch, HANDLERS } from '$lib/worker/rpc';
import { accountHandlers } from '$lib/worker/rpc/account';
import { accountDeleteHandlers } from '$lib/worker/rpc/account-delete';
import { chatsHandlers } from '$lib/worker/rpc/chats';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { cloudClearHandlers } from '$lib/worker/rpc/cloud-clear';
import { scheduledHandlers } from '$lib/worker/rpc/scheduled';
import { draftsHandlers } from '$lib/worker/rpc/drafts';
import type { CoreContext } from '$lib/worker/rpc/context';
import { mediaHandlers } from '$lib/worker/rpc/media';
import { METHODS, parseParams, parseRequest, type Method } from '$lib/worker/rpc/methods';
import { openingHandlers } from '$lib/worker/rpc/opening';
import { passcodeHandlers } from '$lib/worker/rpc/passcode';
import { prefsHandlers } from '$lib/worker/rpc/prefs';
import { pushHandlers } from '$lib/worker/rpc/push';
import { searchHandlers } from '$lib/worker/rpc/search';
import { searchAllHandlers } from '$lib/worker/rpc/search-all';
import { secretHandlers } from '$lib/worker/rpc/secret';
import { sessionHandlers } from '$lib/worker/rpc/session';
import { syncHandlers } from '$lib/worker/rpc/sync';
import { verificationHandlers } from '$lib/worker/rpc/verification';
import { chatSettingsHandlers } from '$lib/worker/rpc/chat-settings';
import { forwardHandlers } from '$lib/worker/rpc/forward';
import { pinsHandlers } from '$lib/worker/rpc/pins';
import { photosHandlers } from '$lib/worker/rpc/photos';
import { presenceHandlers } from '$lib/worker/rpc/presence';
import { blocksHandlers } from '$lib/worker/rpc/blocks';

const AREAS = [
  sessionHandlers,
  passcodeHandlers,
  accountHandlers,
  accountDeleteHandlers,
  chatsHandlers,
  cloudHandlers,
  cloudClearHandlers,
  scheduledHandlers,
  syncHandlers,
  secretHandlers,
  verificationHandlers,
  mediaHandlers,
  pushHandlers,
  prefsHandlers,
  draftsHandlers,
  searchHandlers,
  searchAllHandlers,
  openingHandlers,
  chatSettingsHandlers,
  forwardHandlers,
  pinsHandlers,
  blocksHandlers,
  photosHandlers,
  presenceHandlers
];

/** A context that fails the test on any use: validation must reject before a handler touches it. */
const untouchable = new Proxy({} as CoreContext, {
  get: (_t, key) => {
    throw new Error(`handler ran and read ctx.${String(key)}`);
  }
});

/** A fake context recording which of its operations a handler used, in order. */
function recording(over: Partial<CoreContext> = {}) {
  const calls: string[] = [];
  const op =
    (name: string, value?: unknown) =>
    (...args: unknown[]) => {
      calls.push(args.length ? `${name} ${JSON.stringify(args)}` : name);
      return value;
    };
  const ctx = {
    kick: op('kick'),
    sync: op('sync', Promise.resolve()),
    flush: op('flush', Promise.resolve()),
    retryQueued: op('retryQueued', Promise.resolve()),
    sendFrame: op('sendFrame'),
    secret: async () => ({ flush: op('secret.flush', Promise.resolve()) }),
    ...over
  } as unknown as CoreContext;
  return { ctx, calls };
}

describe('worker RPC method table', () => {
  it('has exactly one handler per method, and one schema per handler', () => {
    const methods = Object.keys(METHODS).sort();
    expect(Object.keys(HANDLERS).sort()).toEqual(methods);
    for (const m of methods) expect(typeof HANDLERS[m as Method]).toBe('function');
    for (const m of methods) expect(METHODS[m as Method].params).toBeInstanceOf(z.ZodMiniType);
  });

  it('defines each method in one area file only (a second definition would silently win the merge)', () => {
    const all = AREAS.flatMap((a) => Object.keys(a));
    expect(all.length).toBe(new Set(all).size);
    expect(all.length).toBe(Object.keys(METHODS).length);
  });

  it('accepts only the table’s own method names', () => {
    expect(parseRequest({ kind: 'call', id: 7, method: 'secretSend', params: {} })).toEqual({ kind: 'call', id: 7, method: 'secretSend', params: {} });
    for (const method of ['toString', 'hasOwnProperty', 'constructor', 'valueOf']) {
      expect(parseRequest({ kind: 'call', id: 1, method, params: {} })).toBeNull();
    }
  });
});

describe('worker RPC params', () => {
  it('rejects malformed params with bad_request and a clear message before the handler runs', async () => {
    const cases: [Method, unknown, string][] = [
      ['send', { peerId: 'bob', text: '   ' }, 'Message is empty'],
      ['messages', { peerId: 'bob', beforeSeq: 5, afterSeq: 2 }, 'beforeSeq and afterSeq exclude each other'],
      ['secretMessages', { id: crypto.randomUUID(), before: { at: 1, id: 'a' }, from: { at: 2, id: 'b' } }, 'before, after and from exclude each other'],
      ['setPasscode', { passcode: 'abc' }, 'Use at least 4 characters'],
      ['setAutoDelete', { months: 2 }, 'months must be one of 0, 1, 3, 6, 12'],
      ['cloudSendMedia', { peerId: 'bob', name: 'a.pdf', mime: 'pdf', bytes: new ArrayBuffer(3), ttl: 0 }, 'Unknown file type'],
      [
        'cloudSendMedia',
        { peerId: 'bob', name: 'a.pdf', mime: 'application/pdf', bytes: new ArrayBuffer(3), ttl: 0, width: 10, height: 10 },
        'Only a photo or video has a size, and it needs both sides'
      ],
      [
        'cloudSendMedia',
        { peerId: 'bob', name: 'a.png', mime: 'image/png', bytes: new ArrayBuffer(3), ttl: 0, width: 10 },
        'Only a photo or video has a size, and it needs both sides'
      ],
      ['cloudSendMedia', { peerId: 'bob', name: 'a.png', mime: 'image/png', bytes: new ArrayBuffer(3), ttl: 17 }, 'Unsupported timer'],
      // The same schema the peer applies to a received timer (TimerSeconds): never set one it would refuse.
      ['secretSetTimer', { id: crypto.randomUUID(), seconds: 17 }, 'Unsupported timer'],
      ['secretSendFile', { id: crypto.randomUUID(), name: 'a', mime: '', bytes: new ArrayBuffer(0) }, 'Files up to 25 MB can be sent']
    ];
    for (const [method, params, message] of cases) {
      const err = await dispatch(untouchable, method, params).then(
        () => null,
        (e: unknown) => e
      );
      expect(err, method).toBeInstanceOf(z.core.$ZodError);
      expect(toRpcError(err)).toEqual({ code: 'bad_request', message });
    }
    // Wrong types and missing fields are refused too, for every kind of id.
    for (const [method, params] of [
      ['secretChat', { id: 'not-a-uuid' }],
      ['chat', {}],
      ['markRead', { peerId: 'bob', seq: 0 }],
      ['cloudMedia', { messageId: 42 }],
      ['setPrefs', { autoLockMinutes: 1441 }]
    ] as [Method, unknown][]) {
      await expect(dispatch(untouchable, method, params), method).rejects.toBeInstanceOf(z.core.$ZodError);
    }
  });

  it('hands the handler the validated params: trimmed, unknown keys dropped', () => {
    expect(parseParams('send', { peerId: 'bob', text: '  hi  ', extra: 1 })).toEqual({ peerId: 'bob', text: 'hi' });
    expect(parseParams('init', { anything: true })).toEqual({});
  });
});

describe('worker RPC handlers on a narrow context', () => {
  it('syncNow reconnects, pulls, receives what the service worker held, then sends the outbox and the secret queue', async () => {
    const rows = [{ id: '00000000-0000-4000-8000-000000000009', seq: 9 }];
    const db = { lockedInbox: { count: async () => rows.length } };
    const { ctx, calls } = recording({
      db: db as unknown as CoreContext['db'],
      secret: async () =>
        ({
          flush: async () => void calls.push('secret.flush'),
          receiveHeld: async () => (calls.push(`secret.receiveHeld`), rows.length)
        }) as unknown as Awaited<ReturnType<CoreContext['secret']>>
    });
    await expect(dispatch(ctx, 'syncNow', {})).resolves.toBeNull();
    expect(calls).toEqual(['kick', 'sync', 'flush', 'secret.receiveHeld', 'secret.flush']);
    // Nothing held: straight to sending.
    rows.length = 0;
    calls.length = 0;
    await dispatch(ctx, 'syncNow', {});
    expect(calls).toEqual(['kick', 'sync', 'flush', 'secret.flush']);
  });

  it('leaving needs nothing of the core and answers once nothing runs in the store (store/tx-locks.ts pauses it)', async () => {
    await expect(dispatch(untouchable, 'leaving', {})).resolves.toBeNull();
  });

  it('typing sends one typing frame for the peer', async () => {
    const { ctx, calls } = recording();
    await dispatch(ctx, 'typing', { peerId: 'bob' });
    expect(calls).toEqual([`sendFrame ${JSON.stringify([{ t: 'typing', peerId: 'bob' }])}`]);
  });

  it('startSecretChat refuses a chat with oneself without loading the engine', async () => {
    const { ctx } = recording({ me: 'me', secret: () => Promise.reject(new Error('engine loaded')) });
    await expect(dispatch(ctx, 'startSecretChat', { peerId: 'me' })).rejects.toMatchObject({ code: 'bad_request', message: 'A secret chat needs another person' });
  });
});
