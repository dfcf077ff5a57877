/// <reference lib="webworker" />
/**
 * The Web Worker's body (loaded by worker.ts): validates every request that crosses the postMessage
 * boundary (its shape and method name, ./rpc/methods) and hands it to the core, which checks its
 * params and runs the method's handler. Keys and decrypted data stay in this context.
 */
import { answerDiagnostics } from '$lib/store/lock-diagnostics';
import { onStall } from '$lib/store/stall-watch';
import { Core } from './core';
import { dataChannel, followPeers, share } from './data-channel';
import { toRpcError } from './rpc-error';
import type { Response } from './protocol';
import { parseRequest } from './rpc/methods';

const post = (msg: Response) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(msg);

// Other tabs' workers (and the service worker) change the same database: their "data changed"
// events reach this tab's page too, so no tab shows a stale tick or list (./data-channel.ts).
const peers = dataChannel();
followPeers(
  peers,
  (event) => post({ kind: 'event', event }),
  () => core.purge.soon()
);

answerDiagnostics('worker');
// Nothing in this context gets a stuck database back: the page says so and offers a reload.
onStall(() => post({ kind: 'event', event: { type: 'storeStalled' } }));

const core = new Core((event) => {
  post({ kind: 'event', event });
  share(peers, event);
});

async function onRequest(ev: MessageEvent) {
  const req = parseRequest(ev.data);
  if (!req) {
    console.warn('cinder worker: ignored malformed request');
    return;
  }
  try {
    // A page being left pauses the store at once, even while the core is still opening it.
    if (req.method !== 'leaving') await core.ready;
    post({ kind: 'result', id: req.id, ok: true, value: await core.call(req.method, req.params) });
  } catch (e) {
    post({ kind: 'result', id: req.id, ok: false, error: toRpcError(e) });
  }
}

/** Starts serving requests, first those that arrived while this module loaded. */
export function serve(early: readonly MessageEvent[]): void {
  self.addEventListener('message', (ev: MessageEvent) => void onRequest(ev));
  for (const ev of early) void onRequest(ev);
}
