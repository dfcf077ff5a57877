/**
 * "Last seen" across two relay nodes (one PostgreSQL schema, Redis between them): a user is online while
 * any device holds a socket on any node; only the user-level transitions reach a chat partner connected
 * to the other node, once each (docs/api.md "Last seen").
 *
 * Needs PostgreSQL and Redis; skipped with a printed reason without them, except with CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LastSeen, PublicUser, ServerFrame } from '../../../src/lib/api/wire';
import { call, connect, login, sendText, signup, type TestServer, type WsClient } from './helpers';
import { skipNodes, twoNodes, type Node } from './nodes';

const skip = skipNodes('last seen on two nodes');

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
});
