/**
 * Fuzzing the relay with fast-check: every HTTP route (discovered from the sources, like authz.test.ts)
 * and every WebSocket frame type gets random, malformed, huge and Unicode-edge input — lone
 * surrogates, bidi overrides, NUL, 1 MB strings, deeply nested JSON, wrong types, `__proto__` and
 * `constructor` keys, invalid UTF-8, wrong content types. The relay must answer only 2xx/4xx with a
 * JSON error body, log no unhandled error, leave Object.prototype untouched, keep serving, and not
 * grow its heap without bound.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64u, call, connect, login, sendText, signup, startServer, uuid, type Account, type TestServer } from './helpers';

const SERVER_DIR = join(__dirname, '..', '..', '..', 'src', 'lib', 'server');
function discoverRoutes(): { method: string; pattern: string }[] {
  const out: { method: string; pattern: string }[] = [];
  for (const f of readdirSync(SERVER_DIR, { recursive: true }) as string[]) {
    if (!f.endsWith('.ts')) continue;
    for (const m of readFileSync(join(SERVER_DIR, f), 'utf8').matchAll(/\.add\(\s*'([A-Z]+)'\s*,\s*'([^']+)'/g)) {
      out.push({ method: m[1], pattern: m[2] });
    }
  }
  return out;
}
const ROUTES = discoverRoutes();

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

// ---------- input generators ----------

const EDGE_STRINGS = [
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'a\uDC00b\uD83D',
  '\u202Eevil\u202C', // RTL override
  '\u2066\u2067\u2068\u2069\u200F\u200E',
  '\u0000',
  'nul\u0000in\u0000the\u0000middle',
  '\uFEFF\uFFFE\uFFFF',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
  '%ZZ',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '${7*7}{{7*7}}',
  'Ω≈ç√∫˜µ≤≥÷',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  'Z̸̢̛͇̣̝͔̗̲̖̪̥͑̆̿̔̊̔̋͜͠a̴̧̛̜̯̘',
  ' ',
  '',
  '9007199254740993',
  '-1',
  'NaN',
  'null',
  'true'
];

const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), '\u202E'.repeat(5000), '\uD800'.repeat(3000)) }
);

const nastyNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 0.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer()
);

/** A JSON tree as [key, value] pairs, serialized by hand so keys like `__proto__` really reach the wire. */
type J = null | boolean | number | string | J[] | { pairs: [string, J][] };
const jsonTree: fc.Arbitrary<J> = fc.letrec<{ j: J }>((tie) => ({
  j: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    nastyNumber,
    nastyString,
    fc.array(tie('j'), { maxLength: 4 }),
    fc.record({ pairs: fc.array(fc.tuple(fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('j')), { maxLength: 4 }) })
  )
})).j;

function serialize(v: J): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  if (!Array.isArray((v as { pairs?: unknown }).pairs)) return JSON.stringify(v); // a plain template value
  return `{${v.pairs.map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
}

const RAW_BODIES = [
  '',
  '{',
  'null',
  '[]',
  '"string"',
  '1e999',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
  '['.repeat(50_000) + ']'.repeat(50_000),
  '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
  JSON.stringify({ text: 'x'.repeat(1024 * 1024) }), // 1 MB string: over the body limit
  '\uFEFF{}'
];

// Invalid UTF-8 and binary junk.
const rawBytes = fc.oneof(
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from([0xc0, 0xaf])),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))
);

// ---------- fixtures ----------

let ts: TestServer;
let alice: Account;
let bob: Account;
let requestId: string;
let blobId: string;
let messageId: string;

beforeAll(async () => {
  ts = await startServer({ env: { WS_FRAME_BURST: '100000', WS_FRAME_PER_SEC: '100000' } });
  alice = await signup(ts, 'fuzz_alice');
  bob = await signup(ts, 'fuzz_bob');
  await login(ts, bob, 'Phone');
  messageId = (await sendText(ts, alice, bob, 'hello')).id;
  requestId = uuid();
  await call(ts, 'POST', '/api/envelopes', { token: alice.token, body: { id: uuid(), toDeviceId: bob.deviceId, body: b64u(64), requestId } });
  const up = await call(ts, 'POST', '/api/blobs', {
    token: alice.token,
    raw: Buffer.from('blob'),
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': bob.deviceId }
  });
  blobId = up.body.id;
}, 30_000);

afterAll(async () => {
  await ts?.close();
});

/** Well-formed bodies that mutations start from, so input also reaches the code behind validation. */
function template(method: string, pattern: string, self: Account = alice): Record<string, unknown> | null {
  const device = { name: 'Fuzz', signPub: b64u(32), dhPub: b64u(32) };
  switch (`${method} ${pattern}`) {
    case 'POST /api/auth/signup':
      return { username: `f${uuid().slice(0, 8)}`, password: 'password123', displayName: 'Fuzz', device };
    case 'POST /api/auth/login':
      return { username: alice.username, password: 'wrong password', device };
    case 'POST /api/auth/password':
      return { currentPassword: 'wrong password', newPassword: 'password123' };
    case 'PATCH /api/me':
      return { displayName: 'Fuzzy' };
    case 'POST /api/account/delete': // `self` is a throwaway account: the unmutated body deletes it
      return { password: self.password, confirm: self.username };
    case 'PUT /api/account/auto-delete':
      return { months: 3 };
    case 'POST /api/cloud/messages':
      return { id: uuid(), toUserId: bob.userId, text: 'hi', replyTo: messageId };
    case 'POST /api/cloud/forward':
      return { toUserId: bob.userId, fromPeerId: bob.userId, ids: [messageId], newIds: [uuid()] };
    case 'POST /api/cloud/chats/:peerId/read':
      return { seq: 1 };
    case 'POST /api/cloud/chats/:peerId/delete':
      return { ids: [uuid()] };
    case 'POST /api/envelopes':
      return { id: uuid(), toDeviceId: bob.deviceId, body: b64u(48), requestId: uuid() };
    case 'POST /api/envelopes/ack':
      return { upTo: 1 };
    case 'POST /api/secret/claim':
    case 'POST /api/secret/withdraw':
      return { requestId };
    case 'POST /api/push/subscribe': // .invalid: never resolvable, and alice is never pushed here anyway
      return { endpoint: 'https://push.example.invalid/fuzz', keys: { p256dh: 'B' + b64u(65).slice(1), auth: b64u(16) } };
    case 'POST /api/wakeups':
      return { at: [Date.now() + 3_600_000, Date.now() + 7_200_000] };
    default:
      return null;
  }
}

type Mutation =
  | { k: 'set'; pick: number; value: J }
  | { k: 'add'; key: string; value: J }
  | { k: 'tree'; value: J }
  | { k: 'raw'; body: string }
  | { k: 'bytes'; body: Buffer }
  | { k: 'none' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('set' as const), pick: fc.nat(), value: jsonTree }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('__proto__', 'constructor'), nastyString), value: jsonTree }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tree' as const), value: jsonTree }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('raw' as const), body: fc.constantFrom(...RAW_BODIES) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bytes' as const), body: rawBytes }) },
  { weight: 1, arbitrary: fc.constant({ k: 'none' as const }) }
);

function mutate(base: Record<string, unknown> | null, m: Mutation): string | Buffer {
  const toTree = (o: Record<string, unknown>): J => ({ pairs: Object.entries(o).map(([k, v]) => [k, v as J]) });
  switch (m.k) {
    case 'set': {
      if (!base) return serialize(m.value);
      const keys = Object.keys(base);
      const t = toTree(base) as { pairs: [string, J][] };
      t.pairs[m.pick % keys.length][1] = m.value;
      return serialize(t);
    }
    case 'add': {
      const t = (base ? toTree(base) : { pairs: [] }) as { pairs: [string, J][] };
      t.pairs.push([m.key, m.value]);
      return serialize(t);
    }
    case 'tree':
      return serialize(m.value);
    case 'raw':
      return m.body;
    case 'bytes':
      return m.body;
    case 'none':
      return base ? JSON.stringify(base) : '{}';
  }
}

const pathSegment = fc.oneof(
  { weight: 3, arbitrary: nastyString.map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '?')).slice(0, 3000)) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%ZZ', '%ED%A0%80', '%00', '..', '.', '%2F', 'a/b', '') }
);
const queryString = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?q=%00',
    '?after=-1',
    '?after=1e3&limit=0',
    '?limit=99999999999999999999',
    '?before=abc',
    '?q=' + 'a'.repeat(5000),
    '?q=%ZZ',
    '?after=1&after=2',
    '?q[]=1'
  ),
  fc
    .tuple(fc.constantFrom('q', 'after', 'before', 'limit', '__proto__'), nastyString)
    .map(([k, v]) => `?${k}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '?')).slice(0, 3000)}`)
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  ''
);

function expectSaneAnswer(label: string, r: { status: number; text: string; body: any }) {
  if (r.status >= 500) throw new Error(`${label} -> ${r.status} ${r.text.slice(0, 200)}`);
  expect(r.status).toBeGreaterThanOrEqual(200);
  if (r.status >= 400) {
    expect(r.body?.error?.code, `${label} -> ${r.status} ${r.text.slice(0, 200)}`).toEqual(expect.any(String));
  }
}

const unhandled = () => ts.logs.filter((l) => /unhandled error|response failed|frame handler failed|upgrade failed/.test(l));

describe('fuzz: HTTP', () => {
  it('finds the routes', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(20);
  });

  it('answers random, malformed and hostile requests to every route with 2xx/4xx, never 5xx', async () => {
    const before = heapAfterGc();
    const seen = new Set<number>();
    const routeArb = fc.constantFrom(...ROUTES);
    await fc.assert(
      fc.asyncProperty(
        routeArb,
        mutation,
        fc.record({
          authed: fc.boolean(),
          params: fc.array(pathSegment, { minLength: 3, maxLength: 3 }),
          keepParams: fc.boolean(),
          query: queryString,
          type: contentType,
          methodSwap: fc.constantFrom(null, null, null, 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
        }),
        async (route, m, o) => {
          let i = 0;
          const real: Record<string, string> = { id: blobId, peerId: bob.userId, username: bob.username };
          const path = route.pattern.replace(/:(\w+)/g, (_x, name: string) => (o.keepParams && real[name] ? real[name] : o.params[i++] || 'x'));
          const method = o.methodSwap ?? route.method;
          const withBody = method !== 'GET';
          // Logging out, revoking, signing out the other devices or deleting the account would end the shared
          // session: those run in a throwaway account (a throwaway device of alice's would hit the device cap,
          // or sign her out).
          const revoking = /^\/api\/(auth\/logout|devices\/|account\/delete)/.test(path) && method !== 'GET';
          const self = o.authed && revoking ? await signup(ts) : alice;
          const body = withBody ? mutate(template(route.method, route.pattern, self), m) : undefined;
          const headers: Record<string, string> = { 'content-type': o.type || 'application/json' };
          if (route.pattern === '/api/blobs') headers['x-cinder-to-device'] = o.keepParams ? bob.deviceId : o.params[0];
          const token = o.authed ? self.token : undefined;
          const r = await call(ts, method, path + o.query, { token, raw: body, headers });
          expectSaneAnswer(`${method} ${path}${o.query.slice(0, 50)} [${m.k}]`, r);
          seen.add(r.status);
        }
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000), seed: Number(process.env.FUZZ_SEED ?? 20261125) }
    );
    // The input reached past validation as well as being refused by it.
    for (const status of [200, 400, 401]) expect(seen).toContain(status);
    // The server is fine and still does its job.
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).status).toBe(200);
    expect((await call(ts, 'GET', '/healthz')).status).toBe(200);
    expect(unhandled()).toEqual([]);
    // No prototype pollution reached the process.
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // Bounded memory: nothing retained per request.
    expect(heapAfterGc() - before).toBeLessThan(48 * 1024 * 1024);
  }, 60_000);

  it('answers hostile headers and request lines with 4xx', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/api/me', { authorization: 'Bearer ' + 'A'.repeat(10_000) }],
      ['GET', '/api/me', { authorization: 'Bearer \u0000'.replace('\u0000', '%00') }],
      ['GET', '/api/me', { cookie: 'cinder_session=' + 'x'.repeat(4000) + '; cinder_session=' + alice.token }],
      ['GET', '/api/me', { cookie: '=;=;;;cinder_session' }],
      ['POST', '/api/cloud/messages', { origin: 'null', 'content-type': 'application/json' }],
      ['POST', '/api/cloud/messages', { origin: 'http://[::1', 'content-type': 'application/json' }],
      ['POST', '/api/auth/signup', { 'content-type': 'application/json', 'x-forwarded-for': '\u202E1.2.3.4'.replace('\u202E', '') }],
      ['GET', '/api/users?q=' + '%F0%9F%98%80'.repeat(10), {}],
      ['GET', '/api//users', {}],
      ['GET', '/api/users/%2e%2e/devices', {}],
      ['GET', '/api/blobs/..%2F..%2Fat-rest.key', {}]
    ];
    for (const [method, path, headers] of cases) {
      const r = await call(ts, method, path, {
        token: headers.authorization || headers.cookie ? undefined : alice.token,
        headers,
        raw: method === 'GET' ? undefined : '{}'
      }).catch((e: Error) => ({ status: 400, text: e.message, body: { error: { code: 'client_refused' } } }));
      expectSaneAnswer(`${method} ${path}`, r);
    }
    expect(unhandled()).toEqual([]);
  });

  it('answers malformed raw HTTP (bad lengths, chunking, smuggling shapes) with 4xx or a closed connection', async () => {
    const { port } = new URL(ts.url);
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const sock = netConnect(Number(port), '127.0.0.1');
        let out = '';
        sock.setTimeout(3000, () => sock.destroy());
        sock.on('data', (d) => (out += d.toString('latin1')));
        sock.on('close', () => resolve(out));
        sock.on('error', () => resolve(out));
        sock.end(text);
      });
    const auth = `Authorization: Bearer ${alice.token}\r\n`;
    const cases = [
      `POST /api/blobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/octet-stream\r\nContent-Length: -1\r\n\r\n`,
      `POST /api/envelopes HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}`,
      `POST /api/envelopes HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nzz\r\n`,
      `POST /api/envelopes HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n`,
      `GET /api/me HTTP/1.1\r\nHost: x\r\n${auth}X-Bad: a\u0000b\r\n\r\n`,
      `GET /api/me\u202E HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET http://evil.example/api/me HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `GET * HTTP/1.1\r\nHost: x\r\n\r\n`,
      `BREW /api/me HTTP/1.1\r\nHost: x\r\n\r\n`,
      `POST /api/cloud/messages HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":`
    ];
    for (const c of cases) {
      const res = await raw(c);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(res)?.[1];
      if (status) expect(Number(status), `${JSON.stringify(c.slice(0, 60))} -> ${res.slice(0, 100)}`).toBeLessThan(500);
    }
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).status).toBe(200);
    expect(unhandled()).toEqual([]);
  });
});

describe('fuzz: WebSocket', () => {
  const frameArb = fc.oneof(
    { weight: 3, arbitrary: jsonTree.map(serialize) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('ping', 'typing', 'hello', 'revoked', 'error', '__proto__', 'constructor', ''), jsonTree, jsonTree)
        .map(([t, a, b]) => `{"t":${JSON.stringify(t)},"n":${serialize(a)},"peerId":${serialize(b)},"__proto__":{"polluted":1}}`)
    },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES.filter((b) => b.length < 256 * 1024)) },
    { weight: 1, arbitrary: rawBytes }
  );

  it('answers every random frame with a typed error or a reply; the hub keeps serving', async () => {
    const before = heapAfterGc();
    const closes: number[] = [];
    let c = await connect(ts, alice.token);
    await c.next((f) => f.t === 'hello');
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), async (frames) => {
        if (c.ws.readyState !== c.ws.OPEN) {
          closes.push((await c.closed).code);
          c = await connect(ts, alice.token);
          await c.next((f) => f.t === 'hello');
        }
        for (const f of frames) {
          if (c.ws.readyState !== c.ws.OPEN) break;
          if (typeof f === 'string') c.ws.send(f);
          else c.ws.send(f, { binary: true });
        }
        // Round-trip a ping so every answer to this batch has arrived.
        if (c.ws.readyState === c.ws.OPEN) {
          const n = Math.floor(Math.random() * 1e9);
          c.send({ t: 'ping', n });
          await Promise.race([c.next((x) => x.t === 'pong' && x.n === n), c.closed]);
        }
        for (const f of c.frames) {
          expect(['hello', 'pong', 'error', 'typing', 'update', 'envelope']).toContain(f.t);
          if (f.t === 'error') expect(['invalid_json', 'bad_request', 'not_found', 'rate_limited']).toContain(f.code);
        }
      }),
      { numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 1000) / 6), seed: Number(process.env.FUZZ_SEED ?? 20261125) }
    );
    c.close();
    // Sockets are only ever closed for abuse (1008) or oversize frames (1009).
    for (const code of closes) expect([1008, 1009]).toContain(code);
    expect(unhandled()).toEqual([]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    // Still works end to end.
    const fresh = await connect(ts, bob.token);
    await fresh.next((f) => f.t === 'hello');
    fresh.send({ t: 'typing', peerId: alice.userId });
    const peer = await connect(ts, alice.token);
    await peer.next((f) => f.t === 'hello');
    fresh.send({ t: 'typing', peerId: alice.userId });
    expect(await peer.next((f) => f.t === 'typing')).toEqual({ t: 'typing', peerId: bob.userId });
    fresh.close();
    peer.close();
    expect(heapAfterGc() - before).toBeLessThan(48 * 1024 * 1024);
  }, 60_000);

  it('survives an oversize frame and a flood of sockets opening and closing', async () => {
    for (let i = 0; i < 30; i++) {
      const c = await connect(ts, bob.token);
      if (i % 3 === 0) c.send('x'.repeat(300 * 1024));
      else c.ws.terminate();
    }
    expect((await call(ts, 'GET', '/healthz')).status).toBe(200);
    const c = await connect(ts, bob.token);
    expect((await c.next((f) => f.t === 'hello')).t).toBe('hello');
    c.close();
  });
});
