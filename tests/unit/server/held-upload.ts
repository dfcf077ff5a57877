/** Upload tests' helpers: an upload held open mid-body, and waiting on a condition the relay reaches. */
import { randomBytes } from 'node:crypto';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { sleep, type Served } from './helpers';

/**
 * A POST whose body is sent only partly (100 bytes) until `finish` (or cut by `abort`); with no
 * `total` it is chunked (no content-length), else it declares `total` bytes.
 */
export function heldUpload(ts: Served, path: string, headers: Record<string, string>, total?: number) {
  const url = new URL(ts.url);
  let req!: ClientRequest;
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const length = total === undefined ? {} : { 'content-length': String(total) };
    req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers: { ...headers, ...length } }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  // An aborted one never answers; that is expected.
  reply.catch(() => undefined);
  req.write(randomBytes(100));
  return { reply, finish: () => req.end(randomBytes((total ?? 1000) - 100)), abort: () => req.destroy() };
}

/** Waits until `cond` holds (polled), failing after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 4000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}
