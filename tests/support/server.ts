/**
 * Starts the real production server (build/cinder.js) on a free port with a fresh DATA_DIR,
 * the way a user runs it. Tests get its URL, its data folder and its captured logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  logs: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Stops the server (SIGTERM: graceful; SIGKILL: a crash) and starts it again on the same port and DATA_DIR. */
  restart: (signal?: NodeJS.Signals) => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A private copy of build/ (under .tmp/, so node_modules still resolves), for tests that restart
 * the server: a rebuild running meanwhile would otherwise swap the program under them.
 */
export async function snapshotBuild(): Promise<string> {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'build-'));
  for (let i = 0; ; i++) {
    try {
      cpSync('build', dir, { recursive: true });
      if (existsSync(join(dir, 'cinder.js')) && existsSync(join(dir, 'handler.js'))) return dir;
    } catch {
      /* build/ is being rewritten: try again */
    }
    if (i >= 30) throw new Error('build/ is incomplete: run npm run build');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function startServer(env: Record<string, string> = {}, dataDir?: string, buildDir = 'build'): Promise<RunningServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'cinder-e2e-'));
  const port = await freePort();
  let out = '';
  let child: ChildProcess;

  const launch = async () => {
    child = spawn(process.execPath, [join(buildDir, 'cinder.js')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, AUTH_RATE_LIMIT: '1000', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    // Killed by a signal, a process has a signalCode and no exitCode: it is gone all the same.
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  };

  await launch();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    logs: () => out,
    stop,
    restart: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await stop(signal);
      await launch();
    }
  };
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}
