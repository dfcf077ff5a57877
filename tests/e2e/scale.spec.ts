/**
 * Scale-out, end to end: two real server processes (build/cinder.js) on one PostgreSQL schema and one
 * Redis, two browsers each talking to a different node, chatting in real time.
 *
 * Needs PostgreSQL and Redis (see tests/unit/server/services.ts for the URLs); skipped with the reason
 * when they are missing, except with CI=true where the test runs and fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { removeDir, startServer, type RunningServer } from '../support/server';
import { postgres, redis, skipWithout } from '../unit/server/services';
import { expect, messageLog, openChatWith, sendText, signUp, test } from './fixtures';

test('two browsers on two relay nodes (PostgreSQL + Redis) chat in real time', async ({ browser }) => {
  const pgService = await postgres();
  const redisService = await redis();
  test.skip(skipWithout('e2e scale', pgService, redisService), 'PostgreSQL or Redis not reachable (see the printed reason)');

  const schema = `cinder_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgService.url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  // Both nodes use the fresh schema through libpq's `options` parameter.
  const url = new URL(pgService.url);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'cinder-e2e-scale-')); // the shared volume (blobs, VAPID keys)
  const env = {
    DATABASE_URL: url.toString(),
    REDIS_URL: redisService.url,
    AT_REST_KEY: randomBytes(32).toString('base64')
  };
  const nodes: RunningServer[] = [];
  try {
    nodes.push(await startServer(env, dataDir));
    nodes.push(await startServer(env, dataDir));
    const [nodeA, nodeB] = nodes;
    for (const n of nodes) {
      const h = await (await fetch(n.url + '/healthz')).json();
      expect(h).toMatchObject({ ok: true, checks: { db: { ok: true }, redis: { ok: true } } });
    }

    const alice = await signUp(browser, nodeA, 'alice');
    const bob = await signUp(browser, nodeB, 'bob');

    await openChatWith(alice.page, bob.username);
    await sendText(alice.page, 'hello from node A');
    await expect(messageLog(alice.page)).toContainText('hello from node A');

    // Bob (served by node B) sees the chat appear and the message arrive without reloading.
    await openChatWith(bob.page, alice.username);
    await expect(messageLog(bob.page)).toContainText('hello from node A');
    await sendText(bob.page, 'hi back from node B');
    await expect(messageLog(alice.page)).toContainText('hi back from node B', { timeout: 10_000 });
    await sendText(alice.page, 'second from A');
    await expect(messageLog(bob.page)).toContainText('second from A', { timeout: 10_000 });

    // Both nodes counted their side of the conversation.
    const metric = async (n: RunningServer) => Number(/^cinder_messages_sent_total (\d+)$/m.exec(await (await fetch(n.url + '/metrics')).text())?.[1] ?? 0);
    expect(await metric(nodeA)).toBe(2);
    expect(await metric(nodeB)).toBe(1);

    await alice.context.close();
    await bob.context.close();
  } finally {
    for (const n of nodes) await n.stop();
    removeDir(dataDir);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
});
