/**
 * Which context holds the store locks, and what it is doing: every context that uses the store
 * (the page's worker, the service worker) answers on a BroadcastChannel with its Web Locks client
 * id and its transactions in flight (tx-locks.ts). A database that stops answering (WebKit's
 * IndexedDB, see tx-locks.ts) can then be pinned on a context; one that does not answer at all is
 * frozen or gone. Nothing here carries message content: store names, modes and times.
 */
import { lockActivity, type LockedOp } from './tx-locks';

export const DIAG_CHANNEL = 'cinder-store-diagnostics';

export interface ContextReport {
  type: 'report';
  ask: string;
  context: string;
  /** This context's client id as navigator.locks.query() names lock holders ('' if unknown). */
  clientId: string;
  ops: LockedOp[];
}

/** The part of the Web Locks API used here (the service worker's type library lacks it). */
interface SelfLocks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  query(): Promise<{ held?: { name?: string; clientId?: string }[] }>;
}

/** This context's Web Locks client id: the holder of a lock only it asked for. */
async function ownClientId(): Promise<string> {
  const locks = (globalThis as { navigator?: { locks?: SelfLocks } }).navigator?.locks;
  if (!locks) return '';
  const name = `cinder-self:${crypto.randomUUID()}`;
  return locks.request(name, async () => (await locks.query()).held?.find((l) => l.name === name)?.clientId ?? '');
}

/** Answers every ask on the channel for as long as this context lives (or until the returned stop). */
export function answerDiagnostics(context: string): () => void {
  if (typeof BroadcastChannel !== 'function') return () => undefined;
  const channel = new BroadcastChannel(DIAG_CHANNEL);
  channel.addEventListener('message', (ev: MessageEvent) => {
    const ask = (ev.data as { type?: unknown; ask?: unknown } | null) ?? {};
    if (ask.type !== 'ask' || typeof ask.ask !== 'string') return;
    const id = ask.ask;
    void ownClientId()
      .catch(() => '')
      .then((clientId) => channel.postMessage({ type: 'report', ask: id, context, clientId, ops: lockActivity() } satisfies ContextReport));
  });
  return () => channel.close();
}
