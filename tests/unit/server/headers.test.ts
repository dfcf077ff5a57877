/**
 * Security headers on every response of the production entry (main.ts): API, health, and whatever the
 * app handler serves; HSTS only over TLS (directly or via a trusted proxy's X-Forwarded-Proto).
 * The app shell's own CSP (svelte.config.js kit.csp) is checked against the real build in
 * tests/e2e/xss.spec.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applySecurityHeaders, ASSET_HEADERS, BASE_HEADERS, FALLBACK_CSP, HSTS, PAGE_ASSET, SCRIPT_CSP } from '../../../src/lib/server/headers';
import { stopProcess, tempDir } from './helpers';

const root = join(__dirname, '..', '..', '..');
const procs: ChildProcess[] = [];
const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  // The server process itself (not a tsx wrapper), so killing it leaves no orphan writing to DATA_DIR.
  await Promise.all(procs.splice(0).map(stopProcess));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function startMain(env: Record<string, string>): Promise<string> {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'lib', 'server', 'main.ts')], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  procs.push(p);
  let out = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 300; i++) {
    const m = /"msg":"listening".*?"url":"([^"]+)"/.exec(out);
    if (m) return m[1].replace('localhost', '127.0.0.1');
    if (p.exitCode !== null) throw new Error(`exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`did not start: ${out}`);
}

const expectBase = (h: Headers) => {
  for (const [k, v] of Object.entries(BASE_HEADERS)) expect(h.get(k), k).toBe(v);
};

describe('security headers', () => {
  it('are on every response of the production server; HSTS only over TLS from a trusted proxy', async () => {
    const url = await startMain({ TRUST_PROXY: 'true' });
    for (const path of ['/healthz', '/api/me', '/api/nope', '/some/app/page', '/x.js']) {
      const r = await fetch(url + path);
      expectBase(r.headers);
      expect(r.headers.get('strict-transport-security')).toBeNull();
      // App routes get SvelteKit's own policy (not running in this relay-only server); never a
      // deny-all one, which a 304 would copy onto the cached page.
      const want = path.endsWith('.js') ? SCRIPT_CSP : path === '/some/app/page' ? null : FALLBACK_CSP;
      expect(r.headers.get('content-security-policy')).toBe(want);
    }
    expect((await fetch(url + '/api/me')).headers.get('cache-control')).toBe('no-store');
    const tls = await fetch(url + '/healthz', { headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers.get('strict-transport-security')).toBe(HSTS);
    expect(HSTS).toMatch(/max-age=\d{8,}/);
    const tlsApp = await fetch(url + '/some/app/page', { headers: { 'x-forwarded-proto': 'https' } });
    expect(tlsApp.headers.get('strict-transport-security')).toBe(HSTS);
  }, 30_000);

  it("sends a page's hashed scripts and styles only the headers that matter for them; workers and other files keep all", async () => {
    const url = await startMain({ TRUST_PROXY: 'true' });
    for (const path of ['/_app/immutable/chunks/Ab1_-x.js', '/_app/immutable/entry/start.x1.js', '/_app/immutable/nodes/0.x.js', '/_app/immutable/assets/0.x.css']) {
      const r = await fetch(url + path, { headers: { 'x-forwarded-proto': 'https' } });
      for (const k of Object.keys(BASE_HEADERS)) expect(r.headers.get(k), `${path} ${k}`).toBe(ASSET_HEADERS.includes(k) ? BASE_HEADERS[k] : null);
      expect(r.headers.get('content-security-policy'), path).toBeNull();
      expect(r.headers.get('strict-transport-security')).toBe(HSTS);
    }
    expect(ASSET_HEADERS).toEqual(expect.arrayContaining(['x-content-type-options', 'cross-origin-resource-policy']));
    // A worker's script is governed by its own response: it keeps the script policy. An SVG, wasm or
    // a path that only looks like an asset keeps everything too.
    for (const path of ['/_app/immutable/workers/worker-x.js', '/_app/immutable/workers/chunks/x.js', '/service-worker.js']) {
      const r = await fetch(url + path);
      expectBase(r.headers);
      expect(r.headers.get('content-security-policy'), path).toBe(SCRIPT_CSP);
    }
    for (const path of ['/_app/immutable/assets/x.svg', '/_app/immutable/assets/x.wasm', '/_app/immutable/chunks/../x.svg', '/_app/immutable/chunks/x.js.svg']) {
      const r = await fetch(url + path);
      expectBase(r.headers);
      expect(r.headers.get('content-security-policy'), path).toBe(FALLBACK_CSP);
    }
    expect(PAGE_ASSET.test('/_app/immutable/chunks/a/b.js')).toBe(false);
  }, 30_000);

  it('ignores X-Forwarded-Proto without TRUST_PROXY', async () => {
    const url = await startMain({});
    const r = await fetch(url + '/healthz', { headers: { 'x-forwarded-proto': 'https' } });
    expectBase(r.headers);
    expect(r.headers.get('strict-transport-security')).toBeNull();
  }, 30_000);

  it('lets the handler override the default CSP (as SvelteKit does on the app shell)', async () => {
    const server = createServer((req, res) => {
      applySecurityHeaders(req, res, false);
      res.setHeader('content-security-policy', "default-src 'self'");
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(r.headers.get('content-security-policy')).toBe("default-src 'self'");
    expectBase(r.headers);
  });

  it('use a strict permissions policy and no unsafe sources', () => {
    expect(BASE_HEADERS['permissions-policy']).toMatch(/(^|, )camera=\(self\)/);
    expect(BASE_HEADERS['permissions-policy']).toMatch(/(^|, )microphone=\(\)/);
    expect(BASE_HEADERS['permissions-policy']).toMatch(/(^|, )geolocation=\(\)/);
    for (const csp of [FALLBACK_CSP, SCRIPT_CSP]) {
      expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'/);
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });
});

describe('client source hygiene (XSS)', () => {
  it('never renders raw HTML or evaluates strings anywhere in src', () => {
    const src = join(root, 'src');
    const offenders: string[] = [];
    for (const f of readdirSync(src, { recursive: true }) as string[]) {
      if (!/\.(svelte|ts|js)$/.test(f)) continue;
      const text = readFileSync(join(src, f), 'utf8');
      for (const pattern of [/\{@html\b/, /\.(inner|outer)HTML\s*=/, /insertAdjacentHTML/, /document\.write/, /new Function\(/, /\beval\(/]) {
        if (pattern.test(text)) offenders.push(`${f}: ${pattern}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
