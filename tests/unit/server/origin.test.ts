/** The same-origin check compares scheme, host and port (X-Forwarded-* only behind TRUST_PROXY). Both backends. */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originAllowed } from '../../../src/lib/server/auth';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, connect, signup, type Account } from './helpers';

const req = (headers: Record<string, string>, encrypted = false) => ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe('originAllowed', () => {
  it('plain HTTP relay: only http://<host:port> itself', () => {
    const h = { host: 'chat.example:8080' };
    expect(originAllowed(req(h), false)).toBe(true); // no Origin: not a browser
    expect(originAllowed(req({ ...h, origin: 'http://chat.example:8080' }), false)).toBe(true);
    expect(originAllowed(req({ ...h, origin: 'HTTP://Chat.Example:8080' }), false)).toBe(true);
    expect(originAllowed(req({ ...h, origin: 'https://chat.example:8080' }), false)).toBe(false);
    expect(originAllowed(req({ ...h, origin: 'http://chat.example:9090' }), false)).toBe(false);
    expect(originAllowed(req({ ...h, origin: 'http://chat.example' }), false)).toBe(false);
    expect(originAllowed(req({ ...h, origin: 'null' }), false)).toBe(false);
    expect(originAllowed(req({ origin: 'http://chat.example:8080' }), false)).toBe(false); // no Host
  });

  it('TLS: https only, default port spelled or not', () => {
    expect(originAllowed(req({ host: 'chat.example', origin: 'https://chat.example' }, true), false)).toBe(true);
    expect(originAllowed(req({ host: 'chat.example:443', origin: 'https://chat.example' }, true), false)).toBe(true);
    expect(originAllowed(req({ host: 'chat.example', origin: 'http://chat.example' }, true), false)).toBe(false);
    expect(originAllowed(req({ host: 'chat.example', origin: 'https://chat.example:8443' }, true), false)).toBe(false);
  });

  it('behind a trusted proxy: X-Forwarded-Proto and -Host; ignored without TRUST_PROXY', () => {
    const fwd = { host: '127.0.0.1:3000', 'x-forwarded-host': 'chat.example', 'x-forwarded-proto': 'https' };
    expect(originAllowed(req({ ...fwd, origin: 'https://chat.example' }), true)).toBe(true);
    expect(originAllowed(req({ ...fwd, origin: 'http://chat.example' }), true)).toBe(false);
    expect(originAllowed(req({ ...fwd, origin: 'https://chat.example:444' }), true)).toBe(false);
    expect(originAllowed(req({ ...fwd, origin: 'https://chat.example' }), false)).toBe(false);
    expect(originAllowed(req({ ...fwd, origin: 'http://127.0.0.1:3000' }), false)).toBe(true);
  });
});

describe.each(BACKENDS)('origin check over HTTP and WebSocket on $name', ({ name, skip }) => {
  let ts: AnyServer;
  let a: Account;
  beforeAll(async () => {
    if (skip) return;
    ts = await startOn(name, { TRUST_PROXY: 'true' });
    a = await signup(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });
  const patch = (headers: Record<string, string>) => call(ts, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'x' }, headers });
  const port = () => new URL(ts.url).port;

  it.skipIf(skip)('refuses another scheme or port of the same host (403), accepts the exact origin', async () => {
    expect((await patch({ origin: ts.url })).status).toBe(200);
    expect((await patch({ origin: `https://127.0.0.1:${port()}` })).status).toBe(403);
    expect((await patch({ origin: `http://127.0.0.1:${Number(port()) + 1}` })).status).toBe(403);
    expect((await patch({ origin: 'http://127.0.0.1' })).status).toBe(403);
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' };
    expect((await patch({ ...proxied, origin: 'https://chat.example' })).status).toBe(200);
    expect((await patch({ ...proxied, origin: 'http://chat.example' })).status).toBe(403);
  });

  it.skipIf(skip)('the WebSocket upgrade applies the same rule', async () => {
    await expect(connect(ts, a.token, { origin: `https://127.0.0.1:${port()}` })).rejects.toMatchObject({ status: 403 });
    await expect(connect(ts, a.token, { origin: 'http://chat.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' })).rejects.toMatchObject({
      status: 403
    });
    const ok = await connect(ts, a.token, { origin: 'https://chat.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' });
    await ok.next((f) => f.t === 'hello');
    ok.close();
  });
});
