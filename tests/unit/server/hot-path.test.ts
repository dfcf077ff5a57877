/**
 * The envelope POST path's shortcuts (issue #19, goal 5) keep their answers: the frame's body is the
 * canonical base64url either way, the router's memo matches what walking the routes gives, the metrics
 * wrapper binds once but still follows a replaced method, and local presence answers without a promise.
 */
import { describe, expect, it } from 'vitest';
import { Router, type Handler } from '../../../src/lib/server/http';
import { instrumentStore, Metrics } from '../../../src/lib/server/monitor';
import { createLocalPresence } from '../../../src/lib/server/presence';
import { canonicalB64u } from '../../../src/lib/server/routes/sealed';
import type { Store } from '../../../src/lib/server/store/types';

describe('canonicalB64u', () => {
  it('returns the text itself when canonical and the re-encoding otherwise', () => {
    for (const n of [1, 2, 3, 4, 5, 1024]) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255));
      const text = bytes.toString('base64url');
      expect(canonicalB64u(text, bytes)).toBe(text);
    }
    // 'AB' and 'AAB' leave unused bits set: both decode to zero bytes, which re-encode as 'AA' / 'AAA'.
    for (const [text, canonical] of [
      ['AB', 'AA'],
      ['AAB', 'AAA'],
      ['AAAAAP', 'AAAAAA']
    ]) {
      const bytes = Buffer.from(text, 'base64url');
      expect(canonicalB64u(text, bytes)).toBe(canonical);
    }
  });
});

describe('Router memo', () => {
  const h =
    (name: string): Handler =>
    async () => ({ status: 200, body: name });

  it('matches literal paths as walking the routes does, with a fresh params object each time', () => {
    const r = new Router().add('GET', '/api/users/:id', h('param')).add('POST', '/api/users/me', h('literal')).add('GET', '/api/things', h('things'));
    // Registration order wins even over a literal registered later.
    for (let i = 0; i < 2; i++) {
      const m = r.match('GET', '/api/users/me');
      expect(m.kind === 'ok' && m.route.pattern).toBe('/api/users/:id');
      expect(m.kind === 'ok' && m.params).toEqual({ id: 'me' });
      if (m.kind === 'ok') m.params.id = 'changed';
    }
    expect(r.match('POST', '/api/users/me')).toMatchObject({ kind: 'ok', route: { pattern: '/api/users/me' } });
    expect(r.match('DELETE', '/api/things')).toEqual({ kind: 'method', allowed: ['GET'] });
    expect(r.match('GET', '/api/things/')).toMatchObject({ kind: 'ok', route: { pattern: '/api/things' } });
    // A route added later is seen by paths already memoised.
    r.add('DELETE', '/api/things', h('delete'));
    expect(r.match('DELETE', '/api/things')).toMatchObject({ kind: 'ok', route: { pattern: '/api/things' } });
  });
});

describe('instrumentStore', () => {
  it('binds each method once, follows a replaced method, and still counts created envelopes', async () => {
    const raw = {
      who: 'store',
      async getDevice(this: { who: string }) {
        return this.who;
      },
      async putEnvelope() {
        return { ok: true, created: true };
      }
    };
    const metrics = new Metrics();
    const store = instrumentStore(raw as unknown as Store, metrics) as unknown as typeof raw;
    expect(store.getDevice).toBe(store.getDevice);
    expect(store.putEnvelope).toBe(store.putEnvelope);
    expect(await store.getDevice()).toBe('store');
    await store.putEnvelope();
    expect(metrics.get('cinder_envelopes_queued_total')).toBe(1);
    raw.getDevice = async function (this: { who: string }) {
      return `${this.who} (replaced)`;
    };
    expect(await store.getDevice()).toBe('store (replaced)');
  });
});

describe('local presence', () => {
  it('answers synchronously (no promise per envelope on the push path)', () => {
    const p = createLocalPresence();
    expect(p.isOnline('d1')).toBe(false);
    p.online('d1');
    expect(p.isOnline('d1')).toBe(true);
    p.offline('d1');
    expect(p.isOnline('d1')).toBe(false);
  });
});
