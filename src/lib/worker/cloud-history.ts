/**
 * Older cloud history this device has not stored (before its cursor, or before its oldest row): a page
 * read from the relay and stored here, as a chat screen scrolls back.
 */
import { z } from '$lib/api/zod';
import { CloudMessage } from '$lib/api/wire';
import type { CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from './cloud';
import { pendingDeletes } from './cloud-actions-local';
import { hiddenIds } from './hidden';
import { SYNC_LOCK, withLock } from './locks';
import { request } from './net';
import { recountUnread } from './unread';

/**
 * Up to `want` messages of the chat with `peerId` before seq `before`, fetched and stored; what came back
 * (those deleted for me or waiting to be deleted for everyone left out) and how many the relay sent.
 * Fetched and written under the sync's lock, like the read-back of a refused action: an edit, delete or
 * newer copy the log brings meanwhile is applied before the fetch (and so is in its answer) or after the
 * write, never undone by the older copy (a copy carries no version to compare).
 */
export const olderFromRelay = (db: CinderDB, vault: Vault, me: string, peerId: string, before: number, want: number) =>
  withLock(SYNC_LOCK, async () => {
    const res = await request(
      'GET',
      `/api/cloud/chats/${encodeURIComponent(peerId)}/messages?before=${before}&limit=${want}`,
      undefined,
      z.object({ messages: z.array(CloudMessage) })
    );
    const rows: MessageRow[] = [];
    const hidden = new Set([...(await hiddenIds(db, peerId)), ...(await pendingDeletes(db, vault, peerId))]);
    for (const m of res.messages) if (!hidden.has(m.id)) rows.push(await sealMessage(vault, m));
    await db.transaction('rw', db.messages, db.chats, async () => {
      await db.messages.bulkPut(rows);
      await recountUnread(db, [peerId], me);
    });
    return { rows, sent: res.messages };
  });
