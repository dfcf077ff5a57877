/// <reference lib="webworker" />
/**
 * The Web Worker entry: validates every request that crosses the postMessage boundary and hands
 * it to the core. Keys and decrypted data stay in this context.
 */
import { Core, toRpcError } from './core';
import { parseRequest, type Response } from './protocol';

const post = (msg: Response) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(msg);
const core = new Core((event) => post({ kind: 'event', event }));

self.addEventListener('message', async (ev: MessageEvent) => {
  const req = parseRequest(ev.data);
  if (!req) {
    console.warn('cinder worker: ignored malformed request');
    return;
  }
  try {
    await core.ready;
    const handler = core.methods[req.method] as (p: unknown) => Promise<unknown>;
    post({ kind: 'result', id: req.id, ok: true, value: await handler(req.params) });
  } catch (e) {
    post({ kind: 'result', id: req.id, ok: false, error: toRpcError(e) });
  }
});

