/**
 * A relay stub for worker tests that go over HTTP: it replaces `fetch`, `relay.answer` decides each
 * call (undefined: offline, the fetch fails as a network error does) and the calls are recorded.
 * Tests undo it with `vi.unstubAllGlobals()`.
 */
import { vi } from 'vitest';
import type { Vault } from '$lib/store/vault';
import type { CinderDB } from '$lib/store/db';
import { readActions } from '$lib/worker/cloud-actions';
import { flushCloud } from '$lib/worker/cloud-actions-flush';
import type { WorkerEvent } from '$lib/worker/protocol';
import { ME } from './cloud-updates';

/** One relay answer: a status and a JSON body (204: none). */
export type Answer = { status: number; body?: unknown };
export type Call = { method: string; path: string; body: unknown };

/**
 * Stubs `fetch` with the relay. Only answered calls are recorded, unless `recordOffline` (then a
 * test can see that nothing was even tried).
 */
export function stubRelay({ recordOffline = false } = {}) {
  const calls: Call[] = [];
  const relay: { answer: (c: Call) => Answer | undefined } = { answer: () => undefined };
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    const call = { method: init.method ?? 'GET', path, body: init.body ? JSON.parse(init.body as string) : undefined };
    if (recordOffline) calls.push(call);
    const a = relay.answer(call);
    if (!a) throw new TypeError('Failed to fetch');
    if (!recordOffline) calls.push(call);
    return a.status === 204 ? new Response(null, { status: 204 }) : Response.json(a.body ?? {}, { status: a.status });
  });
  return { calls, relay };
}

/** The cloud action queue's flush as the worker runs it, its events into `events`; and the queue's bodies. */
export function cloudQueue(db: CinderDB, vault: Vault, events: WorkerEvent[]) {
  const flush = () =>
    flushCloud(
      db,
      vault,
      ME,
      () => {},
      (e) => events.push(e)
    );
  const queue = async () => (await readActions(db, vault)).map((a) => a.body);
  return { flush, queue };
}
