/**
 * The cloud log's pages as they arrive (./cloud-sync.ts commits them): each checked update by update
 * (one bad row is rejected, the rest kept), its messages sealed before the commit, and the next pages
 * asked for while one is being committed.
 */
import { z } from '$lib/api/zod';
import { LIMITS, Update } from '$lib/api/wire';
import type { MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from './cloud';
import { later, type Later } from './cloud-kept';
import { NetError, request } from './net';
import { fastMessageUpdate } from './sync-fast-check';

/** An update of the log that this device refused (malformed, or out of order); the rest of its page applied. */
export interface Rejected {
  cursor: number | null;
  reason: string;
}

/** A page as it crosses the wire: its updates are checked one by one (see `checkPage`). */
const SyncPage = z.object({
  updates: z.array(z.unknown()).check(z.maxLength(LIMITS.syncPageMax)),
  cursor: z.number().check(z.int(), z.nonnegative()),
  more: z.boolean()
});

export interface Page {
  updates: Update[];
  rejected: Rejected[];
  /** Updates of a kind this version does not know, to keep for a later one (./cloud-kept.ts). */
  later: Later[];
  cursor: number;
  more: boolean;
}

/**
 * Validates a page's updates one at a time, so one bad row is rejected without losing the rest:
 * each must match the wire schema (a plain message is recognised by ./sync-fast-check first, the
 * rest and anything it does not accept by the schema itself), come after `after` in log order, and
 * a message must belong to the chat its peer names. One of a kind not known here, well formed as an
 * envelope and in order, is set aside (`later`) instead of rejected.
 */
export function checkPage(raw: unknown, after: number): Page {
  const page = SyncPage.safeParse(raw);
  // A cursor that goes back, or stands still while more is promised, would loop or skip: refused whole.
  if (!page.success || page.data.cursor < after || (page.data.more && page.data.cursor === after))
    throw new NetError('bad_response', 'Unexpected answer from the server for /api/sync');
  const updates: Update[] = [];
  const rejected: Rejected[] = [];
  const kept: Later[] = [];
  let last = after;
  for (const item of page.data.updates) {
    const fast = fastMessageUpdate(item);
    const u = fast ? ({ success: true, data: fast } as const) : Update.safeParse(item);
    const newer = u.success ? null : later(item);
    if (newer) {
      if (newer.cursor <= last || newer.cursor > page.data.cursor) rejected.push({ cursor: newer.cursor, reason: 'out of order' });
      else {
        kept.push(newer);
        last = newer.cursor;
      }
      continue;
    }
    if (!u.success) {
      const cursor = (item as { cursor?: unknown } | null)?.cursor;
      const reason = u.error.issues.map((i) => `${i.path.join('.') || 'update'}: ${i.message}`).join('; ');
      rejected.push({ cursor: typeof cursor === 'number' ? cursor : null, reason: `malformed (${reason})`.slice(0, 300) });
      continue;
    }
    const reason =
      u.data.cursor <= last || u.data.cursor > page.data.cursor
        ? 'out of order'
        : u.data.kind === 'message' && u.data.peer.id !== u.data.message.peerId
          ? 'message and peer disagree'
          : null;
    if (reason) rejected.push({ cursor: u.data.cursor, reason });
    else {
      updates.push(u.data);
      last = u.data.cursor;
    }
  }
  return { updates, rejected, later: kept, cursor: page.data.cursor, more: page.data.more };
}

/** A page with its messages already sealed (sealing cannot run inside an IndexedDB transaction). */
export interface Prepared extends Page {
  sealed: Map<string, MessageRow>;
}

export async function sealAll(vault: Vault, updates: Update[]): Promise<Map<string, MessageRow>> {
  const messages = updates.flatMap((u) => (u.kind === 'message' ? [u.message] : []));
  // All at once: WebCrypto runs them off this thread, overlapped with each other and with IndexedDB.
  return new Map((await Promise.all(messages.map((m) => sealMessage(vault, m)))).map((r) => [r.id, r]));
}

/**
 * A page on its way: `head` settles once the response is in and checked (the next page can be asked
 * for then, with its cursor), `page` once its rows are sealed as well.
 */
interface Fetching {
  head: Promise<{ cursor: number; more: boolean }>;
  page: Promise<Prepared>;
}

function fetchPage(vault: Vault, after: number): Fetching {
  const raw = request('GET', `/api/sync?after=${after}&limit=${LIMITS.syncPageMax}`, undefined, null);
  const checked = raw.then((r) => checkPage(r, after));
  const page = checked.then(async (p) => ({ ...p, sealed: await sealAll(vault, p.updates) }));
  // Awaited later, or dropped when a commit before it fails: never an unhandled rejection.
  page.catch(() => undefined);
  return { head: checked, page };
}

/** Pages asked for ahead of the one being committed. */
const AHEAD = 2;

/**
 * The pages from `after` on, in order. Each page is asked for as soon as the one before it is in
 * and checked (its cursor names where the next starts), up to AHEAD pages beyond the one the caller
 * is committing, so a slow answer of the relay overlaps the commits instead of adding to them.
 * After `stop` (a commit failed) nothing more is asked for; what is in flight is dropped, and the
 * stored cursor still names the first page not committed.
 */
export function readAhead(vault: Vault, after: number) {
  const queue: Fetching[] = [];
  let tail: { cursor: number; more: boolean } | null = null;
  let stopped = false;
  const grow = () => {
    if (stopped || !tail?.more || queue.length >= AHEAD) return;
    const cursor = tail.cursor;
    tail = null;
    push(fetchPage(vault, cursor));
  };
  const push = (f: Fetching) => {
    queue.push(f);
    f.head.then(
      (h) => {
        tail = h;
        grow();
      },
      () => undefined
    );
  };
  push(fetchPage(vault, after));
  return {
    /** The next page, checked and sealed; call again only after committing it. */
    next(): Promise<Prepared> {
      const f = queue.shift()!;
      grow();
      return f.page;
    },
    stop: () => void (stopped = true)
  };
}
