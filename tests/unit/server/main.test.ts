/** The production entry as a real process: start, serve, shut down gracefully, refuse bad config. */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PublicUser } from '../../../src/lib/api/wire';
import { call, connect as openSocket, deviceKeys, sendText, signup, stopProcess, tempDir } from './helpers';

const root = join(__dirname, '..', '..', '..');
const entry = join(root, 'src', 'lib', 'server', 'main.ts');

const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  // The server process itself (not a tsx wrapper), so killing it leaves no orphan writing to DATA_DIR.
  await Promise.all(procs.splice(0).map(stopProcess));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const p = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const lines: string[] = [];
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const l = lines.map((x) => JSON.parse(x) as { msg: string; url?: string }).find((x) => x.msg === 'listening');
      if (l) {
        clearInterval(t);
        resolve(l.url!);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(t);
      reject(new Error(`exited early: ${err}${lines.join('\n')}`));
    });
  });
  listening.catch(() => {}); // only awaited by tests that expect a successful start
  return { p, lines, stderr: () => err, exited, listening };
}

describe('main entry', () => {
  it('serves the relay, then shuts down gracefully on SIGTERM (sockets 1001, exit 0)', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const s = start({ DATA_DIR: dataDir });
    const url = (await s.listening).replace('localhost', '127.0.0.1');
    expect(await (await fetch(url + '/healthz')).json()).toMatchObject({ ok: true, checks: { db: { ok: true } } });

    const r = await fetch(url + '/api/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mainuser', password: 'password123', device: deviceKeys() })
    });
    expect(r.status).toBe(201);
    const token = /cinder_session=([^;]+)/.exec(r.headers.get('set-cookie')!)![1];
    const ws = new WebSocket(url.replace('http', 'ws') + '/ws', { headers: { authorization: `Bearer ${token}` } });
    await new Promise((res, rej) => {
      ws.once('message', res);
      ws.once('error', rej);
    });
    const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));

    s.p.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await s.exited).toBe(0);
    const msgs = s.lines.map((l) => JSON.parse(l).msg);
    expect(msgs).toContain('shutting down');
    expect(msgs.at(-1)).toBe('stopped');
    // Every log line is one JSON object with time and level.
    for (const l of s.lines) expect(JSON.parse(l)).toMatchObject({ time: expect.any(String), level: expect.any(String) });
  }, 30_000);

  it('SIGTERM with a kept-alive idle connection and a pre-connection exits without waiting out SHUTDOWN_TIMEOUT_MS', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    // Longer than this test may run: exiting at all proves shutdown didn't wait for the idle connections.
    const s = start({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: '120000' });
    const url = new URL((await s.listening).replace('localhost', '127.0.0.1'));
    const socket = () =>
      new Promise<Socket>((resolve, reject) => {
        const c = connect(Number(url.port), '127.0.0.1', () => resolve(c));
        c.on('error', reject);
      });
    const idle = await socket();
    let answer = '';
    idle.on('data', (d) => (answer += d.toString()));
    idle.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    while (!answer.includes('"ok":true')) await new Promise((r) => setTimeout(r, 10));
    expect(answer).toMatch(/connection: keep-alive/i);
    const preconnect = await socket(); // like a browser's speculative connection: no request yet
    const ended = Promise.all([idle, preconnect].map((c) => new Promise((r) => c.once('close', r))));

    s.p.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    await ended;
    const msgs = s.lines.map((l) => JSON.parse(l).msg);
    expect(msgs).not.toContain('in-flight requests did not finish in time; closing connections');
    expect(msgs.at(-1)).toBe('stopped');
  }, 30_000);

  it('one process killed without shutting down: after a restart on its data nobody it held shows online, and their last seen is the last refresh before the crash', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const PERIOD = 200; // LAST_SEEN_REFRESH_MS, short so the test need not wait a minute
    const first = start({ DATA_DIR: dataDir, LAST_SEEN_REFRESH_MS: String(PERIOD) });
    const relay = { url: (await first.listening).replace('localhost', '127.0.0.1') };
    const [alice, bob] = [await signup(relay), await signup(relay)];
    await sendText(relay, alice, bob, 'hi');
    const ws = await openSocket(relay, alice.token);
    await ws.next((f) => f.t === 'hello');
    const seen = async (url: string) => (await call<{ user: PublicUser }>({ url }, 'GET', `/api/users/${alice.userId}`, { token: bob.token })).body.user.lastSeen;
    expect(await seen(relay.url)).toEqual({ online: true });
    // What the process stored, read beside it (WAL: a reader does not disturb the writer).
    const db = new Database(join(dataDir, 'cinder.db'), { readonly: true });
    const stored = () => (db.prepare('SELECT last_seen_at FROM users WHERE id = ?').get(alice.userId) as { last_seen_at: number | null }).last_seen_at;
    try {
      await expect.poll(stored).not.toBeNull();
      const cameOnline = stored()!;
      // Online for several periods: the refresh has moved her stored time on since she came online.
      await expect.poll(stored, { timeout: 15_000 }).toBeGreaterThan(cameOnline + 3 * PERIOD);
      const refreshed = stored()!;

      await stopProcess(first.p); // SIGKILL: no socket closes, no transition recorded
      const left = stored()!;
      // The last refresh before the crash, not when she came online (no bound in wall-clock time: a
      // loaded machine may delay the kill or a refresh, never move the stored time back).
      expect(left).toBeGreaterThanOrEqual(refreshed);
      const again = start({ DATA_DIR: dataDir });
      const url = (await again.listening).replace('localhost', '127.0.0.1');
      // Presence lives in the process's memory: the stored last seen is all that is left, and it is recent.
      expect(await seen(url)).toEqual({ at: Math.floor(left / 60_000) * 60_000 });
    } finally {
      db.close();
    }
  }, 30_000);

  it('exits 1 with a clear message on bad configuration', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const s = start({ DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toContain('PORT must be a whole number');
  }, 30_000);
});
