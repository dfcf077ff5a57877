/**
 * The same-run floor of `bench/wire.ts`: `bench/wire-floor/` is the required stack (SvelteKit, Svelte 5,
 * Dexie in a module Web Worker) doing the least a chat list can — one page that asks a worker for the
 * rows of one Dexie table and lists them — built and served the way Cinder is (adapter-node with
 * precompressed brotli/gzip, Dexie's modern build). What it sends before "No chats yet." is what any app
 * on these packages sends before it does anything of its own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FloorServer {
  port: number;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Builds the floor app from `repo`'s template and packages into a temp dir; returns that dir. */
export function buildFloor(repo: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cinder-wire-floor-'));
  cpSync(join(repo, 'bench', 'wire-floor'), dir, { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  // Written here, not kept in the template: a package.json inside the repo would read as a second package.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'wire-floor', private: true, type: 'module' }));
  const vite = join(repo, 'node_modules', 'vite', 'bin', 'vite.js');
  try {
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    throw new Error(`the floor app's build failed:\n${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Serves a built floor app with adapter-node's own server; resolves once it answers. */
export async function serveFloor(dir: string): Promise<FloorServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(dir, 'build', 'index.js')], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit']
  });
  const end = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.ok,
      () => false
    );
    if (up) break;
    if (Date.now() > end || child.exitCode !== null) throw new Error('the floor app did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })
  };
}
