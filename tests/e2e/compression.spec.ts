/**
 * Compressed delivery from the production build: precompressed brotli/gzip static files (the service
 * worker's too, which the build patches after adapter-node compressed it), `Vary`, identity when the
 * client asks for nothing or the operator sets COMPRESSION=off. Raw HTTP, so nothing decodes for us.
 */
import { test, expect } from '@playwright/test';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { removeDir, startServer, type RunningServer } from '../support/server';

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };
function rawGet(url: string, acceptEncoding?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const servers: RunningServer[] = [];
test.afterAll(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    removeDir(s.dataDir);
  }
});

test('static files are served brotli or gzip as asked, identical once decoded; COMPRESSION=off serves identity', async () => {
  const on = await startServer();
  const off = await startServer({ COMPRESSION: 'off' });
  servers.push(on, off);

  const shell = await rawGet(`${on.url}/`);
  expect(shell.status).toBe(200);
  const scripts = [...shell.body.toString().matchAll(/\/_app\/immutable\/[^"']+\.js/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);

  for (const path of [...new Set(scripts)].slice(0, 3).concat('/service-worker.js')) {
    const identity = await rawGet(`${on.url}${path}`);
    expect(identity.status, path).toBe(200);
    expect(identity.headers['content-encoding'], path).toBeUndefined();

    const br = await rawGet(`${on.url}${path}`, 'gzip, deflate, br');
    expect(br.headers['content-encoding'], path).toBe('br');
    expect(String(br.headers['vary']), path).toMatch(/accept-encoding/i);
    if (identity.body.length > 4096) expect(br.body.length, path).toBeLessThan(identity.body.length / 2);
    expect(brotliDecompressSync(br.body).equals(identity.body), `${path}: brotli decodes to the served file`).toBe(true);

    const gz = await rawGet(`${on.url}${path}`, 'gzip');
    expect(gz.headers['content-encoding'], path).toBe('gzip');
    expect(gunzipSync(gz.body).equals(identity.body), `${path}: gzip decodes to the served file`).toBe(true);

    const plain = await rawGet(`${off.url}${path}`, 'gzip, deflate, br');
    expect(plain.headers['content-encoding'], `${path} with COMPRESSION=off`).toBeUndefined();
    expect(plain.body.equals(identity.body)).toBe(true);
  }
  // The shell: compressed as asked, the same page once decoded, and no Link header repeating its preloads.
  const shellBr = await rawGet(`${on.url}/`, 'gzip, deflate, br');
  expect(shellBr.headers['content-encoding']).toBe('br');
  expect(String(shellBr.headers['vary'])).toMatch(/accept-encoding/i);
  expect(brotliDecompressSync(shellBr.body).toString()).toBe(shell.body.toString());
  expect(shellBr.headers['link']).toBeUndefined();
  expect((await rawGet(`${off.url}/`, 'gzip, deflate, br')).headers['content-encoding']).toBeUndefined();
  // The patched service worker lists the Web Worker's chunks in every encoding (a stale .br once did not).
  const sw = brotliDecompressSync((await rawGet(`${on.url}/service-worker.js`, 'br')).body).toString();
  expect(sw).not.toContain('__CINDER_WORKER_CHUNKS__');
  expect(sw).toContain('/_app/immutable/workers/chunks/');
});
