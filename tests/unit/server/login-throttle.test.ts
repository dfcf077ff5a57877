/**
 * Per-account sign-in backoff (throttle.ts) over HTTP, on SQLite and PostgreSQL: an attacker hammering
 * one username, from any address, gets 429s, the same for an unknown username; the owner's browser that
 * signed in before (known-device cookie) still gets in.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, deviceKeys, signup, tokenFrom, type Res } from './helpers';

const T0 = 1_800_000_000_000;

/** The known-device cookie's token (`cinder_known_device=...`) from an answer's Set-Cookie headers. */
function knownFrom(r: Res): string {
  const c = r.headers.getSetCookie().find((h) => h.startsWith('cinder_known_device='));
  if (!c) throw new Error(`no known-device cookie (status ${r.status})`);
  return /^cinder_known_device=([^;]+)/.exec(c)![1];
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`login backoff (${backend.name})`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts?.close();
    });

    let addr = 0;
    /** A login from a new client address each time (TRUST_PROXY is on in these servers). */
    const attempt = (username: string, password: string, headers: Record<string, string> = {}) =>
      call(ts, 'POST', '/api/auth/login', {
        body: { username, password, device: deviceKeys() },
        headers: { 'x-forwarded-for': `2001:db8:${++addr}::1`, ...headers }
      });
    const at = (ms: number) => (ts.clock.now = T0 + ms);

    it("throttles a hammered account (known or unknown name alike) while the owner's known device gets in", async () => {
      ts = await startOn(backend.name, { LOGIN_BACKOFF_AFTER: '3', LOGIN_BACKOFF_MAX: '900', TRUST_PROXY: 'true' });
      at(0);
      const alice = await signup(ts, 'alice_owner');
      // The owner signs in on her laptop, then signs out: the laptop keeps a known-device cookie.
      const laptopIn = await attempt('alice_owner', alice.password);
      expect(laptopIn.status).toBe(200);
      const out = await call(ts, 'POST', '/api/auth/logout', { token: tokenFrom(laptopIn), headers: { cookie: `cinder_known_device=${knownFrom(laptopIn)}` } });
      expect(out.status).toBe(204);
      const laptop = knownFrom(out);
      expect(laptop).not.toBe(knownFrom(laptopIn)); // rotated

      const hammer = async (username: string) => {
        const seen: (number | string)[] = [];
        at(1000);
        for (let i = 0; i < 4; i++) seen.push((await attempt(username, `guess ${i}`)).status);
        const r = await attempt(username, 'guess');
        seen.push(r.status, r.headers.get('retry-after')!, r.body.error.code, r.body.error.message);
        at(2000); // the 1 s wait is over: one more guess, then 2 s
        seen.push((await attempt(username, 'guess 5')).status, (await attempt(username, 'guess 6')).status);
        seen.push((await attempt(username, 'guess 7')).headers.get('retry-after')!);
        return seen;
      };
      const known = await hammer('alice_owner');
      expect(known).toEqual([401, 401, 401, 429, 429, '1', 'rate_limited', 'too many failed sign-ins for this account; try again in 1 s', 401, 429, '2']);
      // An unknown username answers exactly the same way (no enumeration), and the case doesn't matter.
      expect(await hammer('Nobody_Here')).toEqual(known);

      // The right password from a new device waits too ...
      expect((await attempt('alice_owner', alice.password)).status).toBe(429);
      // ... and so does a made-up or another account's cookie ...
      const bob = await signup(ts, 'bob_other');
      const bobIn = await attempt('bob_other', bob.password);
      for (const cookie of [`cinder_known_device=${'A'.repeat(43)}`, `cinder_known_device=${knownFrom(bobIn)}`]) {
        expect((await attempt('alice_owner', alice.password, { cookie })).status).toBe(429);
      }
      // ... but the owner's laptop gets in, and gets a fresh cookie.
      const back = await attempt('alice_owner', alice.password, { cookie: `other=1; cinder_known_device=${laptop}` });
      expect(back.status).toBe(200);
      expect(back.body.user.username).toBe('alice_owner');
      expect(knownFrom(back)).not.toBe(laptop);
      // A wrong password from the laptop is a plain 401 (not counted), the old cookie no longer works.
      expect((await attempt('alice_owner', 'typo', { cookie: `cinder_known_device=${knownFrom(back)}` })).status).toBe(401);
      expect((await attempt('alice_owner', alice.password, { cookie: `cinder_known_device=${laptop}` })).status).toBe(429);
      // The laptop's success left the attacker's count alone.
      expect((await attempt('alice_owner', 'guess')).status).toBe(429);

      // Once the wait is over, a success from anywhere resets the count.
      at(5000);
      expect((await attempt('alice_owner', alice.password)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await attempt('alice_owner', 'guess')).status).toBe(401);
      expect((await attempt('alice_owner', 'guess')).status).toBe(429);
      // The known device's answers carry no secret in the body; only the hash is stored.
      expect(back.text).not.toContain(knownFrom(back));
    });

    it('caps the wait, and forgets the count after a quiet day', async () => {
      ts = await startOn(backend.name, { LOGIN_BACKOFF_AFTER: '1', LOGIN_BACKOFF_MAX: '5', TRUST_PROXY: 'true' });
      let t = 0;
      const waits: string[] = [];
      for (let i = 0; i < 6; i++) {
        at(t);
        expect((await attempt('capped', 'guess')).status).toBe(401);
        const r = await attempt('capped', 'guess');
        expect(r.status).toBe(429);
        waits.push(r.headers.get('retry-after')!);
        t += Number(r.headers.get('retry-after')) * 1000;
      }
      expect(waits).toEqual(['1', '2', '4', '5', '5', '5']);
      at(t + 86_400_001);
      expect((await attempt('capped', 'guess')).status).toBe(401);
      expect((await attempt('capped', 'guess')).headers.get('retry-after')).toBe('1');
    });

    it('keeps the per-address limit for known devices, and LOGIN_BACKOFF_AFTER=0 turns the backoff off', async () => {
      ts = await startOn(backend.name, { AUTH_RATE_LIMIT: '4', LOGIN_BACKOFF_AFTER: '0' }); // no TRUST_PROXY: one address
      const a = await signup(ts, 'carol_known');
      const first = await attempt('carol_known', a.password);
      const cookie = `cinder_known_device=${knownFrom(first)}`;
      expect((await attempt('carol_known', 'guess')).status).toBe(401);
      expect((await attempt('carol_known', 'guess')).status).toBe(401);
      const r = await attempt('carol_known', a.password, { cookie });
      expect(r.status).toBe(429);
      expect(r.body.error.message).toBe('too many requests, slow down');
    });

    it('sets the known-device cookie HttpOnly, SameSite=Strict, persistent, and stores only its hash', async () => {
      ts = await startOn(backend.name);
      const a = await signup(ts, 'dave_cookie');
      const r = await attempt('dave_cookie', a.password);
      const c = r.headers.getSetCookie();
      expect(c).toHaveLength(2);
      expect(c[0]).toMatch(/^cinder_session=/);
      expect(c[1]).toMatch(/^cinder_known_device=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=34560000$/);
      expect(r.text).not.toContain(knownFrom(r));
      expect(await ts.store.isKnownDevice(r.body.user.id, createHash('sha256').update(knownFrom(r)).digest('hex'))).toBe(true);
      expect(await ts.store.isKnownDevice(r.body.user.id, knownFrom(r))).toBe(false);
      // A failed login sets nothing.
      expect((await attempt('dave_cookie', 'wrong')).headers.get('set-cookie')).toBeNull();
    });
  });
}
