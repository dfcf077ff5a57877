/** GET /metrics: a bearer token when METRICS_TOKEN is set, else loopback clients only. Both backends. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback, Metrics, serveMetrics } from '../../../src/lib/server/monitor';
import { BACKENDS, startOn, type AnyServer } from './backends';

/** serveMetrics against a fake request from `client`, returning the status. */
function statusFor(client: string, token: string | null, authorization?: string): number {
  let status = 0;
  const req = { method: 'GET', headers: authorization ? { authorization } : {} } as IncomingMessage;
  const res = {
    writeHead(s: number) {
      status = s;
      return this;
    },
    end() {
      return this;
    }
  } as unknown as ServerResponse;
  serveMetrics(req, res, new Metrics(), token, client);
  return status;
}

describe('metrics access rule', () => {
  it('without a token: loopback only', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect({ a, s: statusFor(a, null) }).toEqual({ a, s: 200 });
    for (const a of ['10.0.0.5', '192.168.1.2', '203.0.113.9', '::ffff:10.0.0.5', 'fe80::1', '2001:db8::1', 'unknown']) {
      expect({ a, s: statusFor(a, null) }).toEqual({ a, s: 403 });
    }
    expect(isLoopback('128.0.0.1')).toBe(false);
  });

  it('with a token: the token from anywhere, nothing without it (loopback included)', () => {
    expect(statusFor('203.0.113.9', 's3cret', 'Bearer s3cret')).toBe(200);
    expect(statusFor('127.0.0.1', 's3cret')).toBe(401);
    expect(statusFor('127.0.0.1', 's3cret', 'Bearer wrong')).toBe(401);
  });
});

describe.each(BACKENDS)('GET /metrics on $name', ({ name, skip }) => {
  let ts: AnyServer | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });
  const get = (headers: Record<string, string> = {}) => fetch(ts!.url + '/metrics', { headers });

  it.skipIf(skip)('no token: served to a loopback client, refused (403) to a remote one behind the trusted proxy', async () => {
    ts = await startOn(name, { TRUST_PROXY: 'true' });
    const local = await get();
    expect(local.status).toBe(200);
    expect(await local.text()).toMatch(/^cinder_ws_connected_sockets \d+$/m);
    const remote = await get({ 'x-forwarded-for': '203.0.113.9' });
    expect(remote.status).toBe(403);
    expect(await remote.text()).toMatch(/METRICS_TOKEN/);
    // The right-most X-Forwarded-For entry is the one the proxy added; a client can't fake loopback on the left.
    expect((await get({ 'x-forwarded-for': '127.0.0.1, 203.0.113.9' })).status).toBe(403);
  });

  it.skipIf(skip)('token set: required from every client, loopback included', async () => {
    ts = await startOn(name, { METRICS_TOKEN: 'metrics-token-123', TRUST_PROXY: 'true' });
    expect((await get()).status).toBe(401);
    expect((await get({ authorization: 'Bearer metrics-token-123' })).status).toBe(200);
    expect((await get({ authorization: 'Bearer metrics-token-123', 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });
});
