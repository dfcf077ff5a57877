/**
 * The session/device lookup cache: it must save store reads without ever letting a revoked device in
 * (revocation invalidates at once; the TTL only bounds a missed bus event).
 */
import { rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/lib/server/auth';
import { SessionCache } from '../../../src/lib/server/session-cache';
import { openSqliteStore, type SqliteStore } from '../../../src/lib/server/store/sqlite';
import type { Store } from '../../../src/lib/server/store/types';
import { b64u, call, login, signup, startServer, tempDir, type TestServer } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const TOKEN = 'A'.repeat(43);
const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as IncomingMessage;

/** A store whose session and device reads are counted. */
async function countingStore(): Promise<{ store: Store; raw: SqliteStore; reads: { session: number; device: number } }> {
  const dir = tempDir();
  const raw = openSqliteStore(dir);
  cleanups.push(async () => {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await raw.createUser(
    { id: 'u1', username: 'zed', displayName: 'Zed', pwHash: 'x', createdAt: 1 },
    { id: 'd1', userId: 'u1', name: 'phone', signPub: b64u(), dhPub: b64u(), tokenHash: hashToken(TOKEN), createdAt: Date.now() }
  );
  const reads = { session: 0, device: 0 };
  const store = new Proxy(raw, {
    get(target, prop, receiver) {
      if (prop === 'getSession') return (h: string) => (reads.session++, target.getSession(h));
      if (prop === 'getDevice') return (id: string) => (reads.device++, target.getDevice(id));
      return Reflect.get(target, prop, receiver);
    }
  }) as Store;
  return { store, raw, reads };
}

describe('session cache', () => {
  it('answers repeated lookups from memory until the TTL runs out', async () => {
    const { store, reads } = await countingStore();
    let now = Date.now();
    const cache = new SessionCache(store, { now: () => now, ttlMs: 1000 });
    for (let i = 0; i < 5; i++) expect((await cache.authenticate(req(TOKEN)))?.device.id).toBe('d1');
    for (let i = 0; i < 5; i++) expect((await cache.device('d1'))?.userId).toBe('u1');
    expect(reads).toEqual({ session: 1, device: 1 });
    now += 1000;
    await cache.authenticate(req(TOKEN));
    await cache.device('d1');
    expect(reads).toEqual({ session: 2, device: 2 });
    // Unknown tokens and devices are not cached as absent (they might be created any moment).
    expect(await cache.authenticate(req('B'.repeat(43)))).toBeNull();
    expect(await cache.authenticate(req('B'.repeat(43)))).toBeNull();
    expect(await cache.device('nope')).toBeNull();
    expect(await cache.device('nope')).toBeNull();
    expect(reads).toEqual({ session: 4, device: 4 });
  });

  it('drops a revoked device at once, including a lookup that was in flight', async () => {
    const { store, raw } = await countingStore();
    const cache = new SessionCache(store, { now: Date.now, ttlMs: 60_000 });
    expect(await cache.authenticate(req(TOKEN))).not.toBeNull();
    await raw.revokeDevice('u1', 'd1', Date.now());
    expect(await cache.authenticate(req(TOKEN))).not.toBeNull(); // still cached: nobody said
    cache.forgetDevice('d1');
    expect(await cache.authenticate(req(TOKEN))).toBeNull();
    expect((await cache.device('d1'))?.revokedAt).not.toBeNull();

    // A read that started before an invalidation must not put its (older) row into the cache.
    const { store: s2, raw: raw2, reads } = await countingStore();
    const c2 = new SessionCache(s2, { now: Date.now, ttlMs: 60_000 });
    const inFlight = c2.authenticate(req(TOKEN));
    c2.forgetDevice('d1');
    expect(await inFlight).not.toBeNull();
    await raw2.revokeDevice('u1', 'd1', Date.now());
    expect(await c2.authenticate(req(TOKEN))).toBeNull();
    expect(reads.session).toBe(2);
  });

  it('re-reads an entry past half its TTL in the background, serving it meanwhile; a revoked row drops it', async () => {
    const { store, raw, reads } = await countingStore();
    let now = Date.now();
    const cache = new SessionCache(store, { now: () => now, ttlMs: 1000 });
    await cache.authenticate(req(TOKEN));
    await cache.device('d1');
    now += 600;
    // Served from memory, and one background read each (not one per request).
    for (let i = 0; i < 3; i++) expect((await cache.authenticate(req(TOKEN)))?.device.id).toBe('d1');
    for (let i = 0; i < 3; i++) expect((await cache.device('d1'))?.id).toBe('d1');
    await expect.poll(() => reads).toEqual({ session: 2, device: 2 });
    // The re-read restarted the TTL: 1,050 ms after the first read, still no read at all.
    now += 450;
    await cache.authenticate(req(TOKEN));
    await expect.poll(() => reads.session).toBe(2);
    // Revoked in the store, the bus event missed: the background re-read drops it, within the TTL.
    await raw.revokeDevice('u1', 'd1', now);
    now += 100;
    expect(await cache.authenticate(req(TOKEN))).not.toBeNull(); // served while the re-read runs
    await expect.poll(() => reads.session).toBe(3);
    await expect.poll(() => cache.authenticate(req(TOKEN))).toBeNull();
  });

  it('keeps at most `max` entries, dropping the oldest', async () => {
    const { store, raw, reads } = await countingStore();
    for (const id of ['d2', 'd3']) {
      await raw.createDevice({ id, userId: 'u1', name: id, signPub: b64u(), dhPub: b64u(), tokenHash: `h-${id}`, createdAt: 1 });
    }
    const cache = new SessionCache(store, { now: Date.now, max: 2 });
    for (const id of ['d1', 'd2', 'd3']) await cache.device(id);
    expect(cache.size).toBe(2);
    expect(reads.device).toBe(3);
    await cache.device('d3'); // kept
    expect(reads.device).toBe(3);
    await cache.device('d1'); // dropped as the oldest
    expect(reads.device).toBe(4);
  });
});

describe('session cache in the relay', () => {
  let ts: TestServer;
  afterEach(async () => {
    await ts?.close();
    rmSync(ts.dataDir, { recursive: true, force: true });
  });

  it('refuses a logged-out or removed device on its very next request', async () => {
    ts = await startServer();
    const alice = await signup(ts);
    const tablet = await login(ts, alice, 'Tablet');
    expect((await call(ts, 'GET', '/api/me', { token: tablet.token })).status).toBe(200);
    expect((await call(ts, 'DELETE', `/api/devices/${tablet.deviceId}`, { token: alice.token })).status).toBe(204);
    expect((await call(ts, 'GET', '/api/me', { token: tablet.token })).status).toBe(401);
    // Envelopes to the removed device are refused too (the device lookup is cached as well).
    const body = { id: crypto.randomUUID(), toDeviceId: tablet.deviceId, body: b64u() };
    expect((await call(ts, 'POST', '/api/envelopes', { token: alice.token, body })).status).toBe(404);

    expect((await call(ts, 'POST', '/api/auth/logout', { token: alice.token })).status).toBe(204);
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).status).toBe(401);
  });

  it('shows a new display name at once', async () => {
    ts = await startServer();
    const alice = await signup(ts);
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).body.user.displayName).toBe(alice.username);
    expect((await call(ts, 'PATCH', '/api/me', { token: alice.token, body: { displayName: 'Alice A.' } })).status).toBe(200);
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).body.user.displayName).toBe('Alice A.');
  });
});
