/**
 * A second, page-less client for a signed-in browser context: the app's own worker bundle started
 * from a same-origin non-app document, driven through its RPC protocol. The document is the worker
 * script itself opened as a page: .js responses carry the relay's script CSP (script-src 'self',
 * which lets a same-origin worker start), while every other non-app response has default-src 'none'.
 * Tests and benches use it to produce traffic (e.g. hundreds of secret messages) without a chat
 * page re-rendering after each one. Needs a production build in build/.
 */
import { readdirSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';

export function workerUrl(): string {
  const f = readdirSync('build/client/_app/immutable/workers').find((n) => /^worker-.*\.js$/.test(n));
  if (!f) throw new Error('no worker bundle in build/client/_app/immutable/workers');
  return `/_app/immutable/workers/${f}`;
}

export async function rpcPage(context: BrowserContext, baseUrl: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[rpc page error] ${e.message}`));
  await page.goto(`${baseUrl}${workerUrl()}`);
  await page.evaluate((url) => {
    const w = new Worker(url, { type: 'module', name: 'cinder-core-bench' });
    const pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();
    let next = 1;
    w.onmessage = (ev) => {
      const d = ev.data;
      if (d?.kind !== 'result') return;
      const p = pending.get(d.id);
      pending.delete(d.id);
      if (d.ok) p?.res(d.value);
      else p?.rej(new Error(`${d.error.code}: ${d.error.message}`));
    };
    (window as unknown as { rpc: unknown }).rpc = (method: string, params: unknown) =>
      new Promise((res, rej) => {
        const id = next++;
        pending.set(id, { res, rej });
        w.postMessage({ kind: 'call', id, method, params });
      });
  }, workerUrl());
  await rpc(page, 'init', {});
  return page;
}

export function rpc<T = unknown>(page: Page, method: string, params: unknown): Promise<T> {
  return page.evaluate(([m, p]) => (window as unknown as { rpc: (m: string, p: unknown) => Promise<unknown> }).rpc(m as string, p), [
    method,
    params
  ] as const) as Promise<T>;
}
