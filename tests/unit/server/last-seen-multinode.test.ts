/**
 * "Last seen" across two relay nodes (one PostgreSQL schema, Redis between them): a user is online while
 * any device holds a socket on any node; only the user-level transitions reach a chat partner connected
 * to the other node, once each (docs/api.md "Last seen").
 *
 * A node killed without shutting down: a survivor notices its expired presence, records last seen and
 * tells the partners, once across the survivors.
 *
 * Needs PostgreSQL and Redis; skipped with a printed reason without them, except with CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LastSeen, PublicUser, ServerFrame } from '../../../src/lib/api/wire';
import { dropPostgresSchema } from '../../../src/lib/server/store/postgres';
import { call, connect, login, sendText, signup, sleep, stopProcess, tempDir, type TestServer, type WsClient } from './helpers';
import { AT_REST_KEY, startNode, twoNodes, type Node } from './nodes';
import { postgres, redis, skipWithout, uniqueName } from './services';

const pgService = await postgres();
const redisService = await redis();
const skip = skipWithout('last seen on two nodes', pgService, redisService);
describe.skipIf(skip)('last seen on two nodes (PostgreSQL + Redis)', () => {
  const nodes = twoNodes('lastseen');
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    [a, b] = await nodes.start();
  });
  afterAll(() => nodes.stop());

  it('online while a socket is open on either node; one frame per transition to a partner on the other node', async () => {
    const alice = await signup(a.ts);
    const bob = await signup(a.ts);
    await sendText(a.ts, alice, bob, 'hi');
    const laptop = await login(b.ts, alice, 'Laptop');
    const open = async (ts: TestServer, token: string): Promise<WsClient> => {
      const ws = await connect(ts, token);
      await ws.next((f) => f.t === 'hello');
      return ws;
    };
    const isAlice = (pred: (l: LastSeen) => boolean) => (f: ServerFrame) =>
      f.t === 'presence' && f.userId === alice.userId && f.lastSeen !== undefined && pred(f.lastSeen);
    const seen = async (ts: TestServer) => (await call<{ user: PublicUser }>(ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token })).body.user.lastSeen;

    const wsBob = await open(b.ts, bob.token);
    const onA = await open(a.ts, alice.token);
    await wsBob.next(isAlice((l) => 'online' in l));
    expect(await seen(b.ts)).toEqual({ online: true });

    // Her laptop joins on node B, then the phone on node A leaves: still online, no transition.
    const onB = await open(b.ts, laptop.token);
    onA.close();
    await onA.closed;
    await expect.poll(() => seen(a.ts)).toEqual({ online: true });
    expect(await seen(b.ts)).toEqual({ online: true });

    onB.close();
    const off = await wsBob.next(isAlice((l) => 'at' in l));
    expect(off.t === 'presence' && off.lastSeen && 'at' in off.lastSeen && off.lastSeen.at % 60_000).toBe(0);
    await expect.poll(() => seen(a.ts)).toEqual(off.t === 'presence' ? off.lastSeen : null);
    expect(wsBob.frames.filter(isAlice(() => true))).toHaveLength(2);
    wsBob.close();
  });

  it('a node that finds its user was counted offline meanwhile (cut off past the TTL, swept) announces her online again', async () => {
    const alice = await signup(a.ts);
    const bob = await signup(a.ts);
    await sendText(a.ts, alice, bob, 'hi');
    const wsBob = await connect(b.ts, bob.token);
    await wsBob.next((f) => f.t === 'hello');
    const onA = await connect(a.ts, alice.token);
    await onA.next((f) => f.t === 'hello');
    const online = (f: ServerFrame) => f.t === 'presence' && f.userId === alice.userId && !!f.lastSeen && 'online' in f.lastSeen;
    await wsBob.next(online);

    // What a survivor's sweep leaves behind: node A's entry for her gone from her set and the index.
    const r = new Redis(redisService.url);
    try {
      await r.zrem(`${nodes.prefix}:upresence:${alice.userId}`, 'node-a');
      await r.zrem(`${nodes.prefix}:upresence-index`, `${alice.userId} node-a`);
    } finally {
      r.disconnect();
    }
    // Node A's next heartbeat (every second here) finds it gone: online again, told to Bob on node B.
    await wsBob.next(online, 4000);
    expect(await (await call<{ user: PublicUser }>(b.ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token })).body.user.lastSeen).toEqual({ online: true });
    onA.close();
    wsBob.close();
  });
});

describe.skipIf(skip)('a node that dies without shutting down (PostgreSQL + Redis)', () => {
  const schema = uniqueName('lastseen_crash');
  const prefix = uniqueName('bus');
  const dataDir = tempDir();
  const ttl = 3000;
  let b: Awaited<ReturnType<typeof startNode>>;
  let c: Awaited<ReturnType<typeof startNode>>;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    b = await startNode('node-b', schema, prefix, dataDir);
    c = await startNode('node-c', schema, prefix, dataDir);
  });
  afterAll(async () => {
    if (child) await stopProcess(child);
    await b?.close();
    await c?.close();
    await dropPostgresSchema(pgService.url, schema).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Node A in its own process, so SIGKILL leaves its presence in Redis as a real crash would. */
  async function startChild(): Promise<TestServer> {
    const entry = join(__dirname, 'fixtures', 'crash-node.ts');
    const env = {
      PG_URL: pgService.url,
      PG_SCHEMA: schema,
      REDIS_URL: redisService.url,
      BUS_PREFIX: prefix,
      NODE_ID: 'node-a',
      TTL_MS: String(ttl),
      DATA_DIR: dataDir,
      AT_REST_KEY
    };
    child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { port: number }).port);
      });
      child!.once('exit', () => reject(new Error(`node A exited: ${err}`)));
    });
    return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` } as TestServer;
  }

  it('a survivor records last seen at the dead node’s last heartbeat and tells the partner once', async () => {
    const a = await startChild();
    const alice = await signup(b.ts);
    const bob = await signup(b.ts);
    await sendText(b.ts, alice, bob, 'hi');
    const isAlice = (pred: (l: LastSeen) => boolean) => (f: ServerFrame) =>
      f.t === 'presence' && f.userId === alice.userId && f.lastSeen !== undefined && pred(f.lastSeen);

    const wsBob = await connect(b.ts, bob.token);
    await wsBob.next((f) => f.t === 'hello');
    const onA = await connect(a, alice.token);
    await onA.next((f) => f.t === 'hello');
    await wsBob.next(isAlice((l) => 'online' in l));
    const cameOnline = (await b.store.getUser(alice.userId))!.lastSeenAt!;
    // At least one heartbeat after coming online, so the stored time must move past that.
    await sleep(ttl / 3 + 500);

    const killedAt = Date.now();
    await stopProcess(child!); // SIGKILL: no socket close, no Redis clean-up
    child = null;
    const off = await wsBob.next(
      isAlice((l) => 'at' in l),
      3 * ttl
    );
    const stored = (await b.store.getUser(alice.userId))!.lastSeenAt!;
    expect(stored).toBeGreaterThan(cameOnline);
    expect(stored).toBeLessThanOrEqual(killedAt);
    expect(off.t === 'presence' && off.lastSeen).toEqual({ at: Math.floor(stored / 60_000) * 60_000 });
    expect((await call<{ user: PublicUser }>(c.ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token })).body.user.lastSeen).toEqual({
      at: Math.floor(stored / 60_000) * 60_000
    });

    // Both survivors sweep every ttl/3: give them several rounds, then exactly one frame each way.
    await sleep(ttl);
    expect(wsBob.frames.filter(isAlice(() => true))).toHaveLength(2);
    wsBob.close();
  });
});
