/**
 * The engine's shared core: a chat's state loaded from the vault, changed under the chat's lock and
 * committed in ONE Dexie transaction together with its effects, and the news of it given to the page.
 */
import { Dexie } from 'dexie';
import { addNew } from '$lib/store/add-new';
import type { CinderDB, SecretChatRow, SecretMessageRow } from '$lib/store/db';
import { storedPins, withoutPins } from '$lib/store/pin-refs';
import { seenRecord } from '$lib/store/upgrade-seen-batches';
import { isUnread } from '$lib/store/upgrade-secret-unread';
import type { WorkerEvent } from '../protocol';
import { deleteSentDraft } from '../draft-order';
import { secretDraftId } from '../drafts';
import { withPinRoom } from '../chat-settings';
import { withLock } from '../locks';
import { SecretError, StoreFailure } from './errors';
import { Mailboxes } from './mailboxes';
import type { SecretBody } from './payload';
import type { SecretRelay } from './relay';
import { secretMsgPlace, type Commit, type SecretContext, type SecretState } from './state';
import { openState, sealState, wipeState } from './stored';
import { systemClock } from './jitter';
import { Wakeups } from './wakeups';

const ANNOUNCE_MS = 250;
/** More message rows changed than this between two events: the page re-reads its window instead. */
const ROWS_MAX = 50;

export class Chats {
  /** The last relay envelope a commit recorded as seen together with its effects. */
  lastSeenCommitted: string | null = null;
  /** While a receive run or a flush is going: chats changed but not yet announced (see changed()). */
  private unannounced: Set<string> | null = null;
  private announcedAt = 0;
  private gathering = 0;
  /** This device's receive mailboxes of version-2 chats (mailboxes.ts). */
  readonly mailboxes: Mailboxes = new Mailboxes(this);
  /** Wake-up slots for the deadlines commits store, registered at random times (./wakeups.ts). */
  readonly wakeups: Wakeups;
  /**
   * Per chat, the message rows written since its last event (see changed()); null once that is not
   * known (a clear, the chat deleted, too many). A chat not listed changed in a way no commit saw.
   */
  private touched = new Map<string, Set<string> | null>();

  constructor(
    readonly ctx: SecretContext,
    readonly relay: SecretRelay
  ) {
    this.wakeups = new Wakeups(ctx.db, relay, ctx.clock ?? systemClock);
  }

  /** Runs `fn` under the chat's lock: a Web Lock shared by the page's worker and the service worker. */
  locked<T>(chatId: string, fn: () => Promise<T>): Promise<T> {
    return withLock(`cinder-secret-${chatId}`, fn);
  }

  async load(id: string): Promise<{ row: SecretChatRow; state: SecretState }> {
    const row = await this.ctx.db.secretChats.get(id);
    if (!row) throw new SecretError('not_found', 'This secret chat does not exist on this device');
    // Either stored format; a format-1 state is written as format 2 at this chat's next commit.
    const { state } = await openState(this.ctx.vault, id, row.box);
    return { row, state };
  }

  /**
   * The time of a message this device writes now, taken under the chat's lock: after every message the
   * chat holds. Rows show in (at, id) order, so a time taken before the lock (a send queued behind a
   * timer change) or in the same millisecond as the last row would show it before what committed first.
   */
  async nextAt(chatId: string): Promise<number> {
    const last = (await this.ctx.db.secretMessages.where('[chatId+at]').between([chatId, Dexie.minKey], [chatId, Dexie.maxKey]).lastKey()) as
      [string, number] | undefined;
    return Math.max(Date.now(), (last?.[1] ?? 0) + 1);
  }

  /**
   * Rewrites every chat whose state is still in stored format 1 as format 2 (see stored.ts), each
   * under its lock. Chats in use are rewritten at their next commit anyway; this reaches idle ones.
   * Needs the open vault, so it runs after unlock, not in a Dexie schema upgrade. Returns how many.
   */
  async upgradeStored(): Promise<number> {
    let upgraded = 0;
    for (const id of (await this.ctx.db.secretChats.toCollection().primaryKeys()) as string[]) {
      // A chat that does not open is left as it is: using it reports the error (bad_state).
      await this.locked(id, async () => {
        const row = await this.ctx.db.secretChats.get(id);
        if (!row) return;
        const { state, format } = await openState(this.ctx.vault, id, row.box);
        if (format === 2) return wipeState(state);
        await this.commit(id, { row, state }); // wipes the state
        upgraded++;
      }).catch(() => undefined);
    }
    return upgraded;
  }

  /** Writes `c` in one transaction; resolves to how many of `c.keep` were stored already (and kept). */
  async commit(chatId: string, c: Commit): Promise<number> {
    const { db, vault } = this.ctx;
    const row = c.row ? { ...c.row } : c.row;
    try {
      await Promise.all((c.put ?? []).map((p) => p.sealing));
    } catch (e) {
      if (c.state) wipeState(c.state);
      throw new StoreFailure(e);
    }
    if (c.state) {
      // A step's state is used up by its commit: sealed (as bytes), then its keys wiped in memory.
      try {
        if (row) row.box = await sealState(vault, row.id, c.state);
      } catch (e) {
        // The vault, not the peer (e.g. locked meanwhile): what this commit holds stays unacknowledged.
        throw new StoreFailure(e);
      } finally {
        wipeState(c.state);
      }
    }
    // A chat that ends (deleted, cancelled, failed) gives up its receive mailboxes, here and at the relay.
    const ends = row === null || (row !== undefined && row.status !== 'active' && row.status !== 'waiting');
    let dropped: string[] = [];
    // Incoming texts are added, not put: one already stored (sent twice) fails alone and stays as it is.
    const keep = new Set(c.clearChat ? [] : (c.keep ?? []));
    const put = (c.put ?? []).filter((p) => !keep.has(p.row.id)).map((p) => p.row);
    const add = (c.put ?? []).filter((p) => keep.has(p.row.id)).map((p) => p.row);
    let stored = new Set<string>();
    // A message removed takes its attachment with it, in the same transaction (the relay's copy after).
    const removes = !!c.clearChat || !!c.remove?.length;
    let blobs: string[] = [];
    try {
      const stores = [
        db.secretChats,
        db.secretMessages,
        db.sendQueue,
        db.seenEnvelopes,
        db.mailboxes,
        ...(removes ? [db.secretMedia] : []),
        ...(c.trust ? [db.trustPins] : []),
        ...(ends || c.sentDraft !== undefined ? [db.drafts] : []),
        ...(row === null ? [db.parkedEnvelopes] : []),
        // A pinned chat a message takes out of the archive needs room among the main list's pins.
        ...(row && row.pinnedAt !== undefined && row.archived !== true ? [db.chats] : [])
      ];
      await db.transaction('rw', stores, async () => {
        if (ends) {
          const rows = await db.mailboxes.where('chatId').equals(chatId).toArray();
          await db.mailboxes.bulkDelete(rows.map((m) => m.id));
          // Those kept only for envelopes still queued (mailboxes.ts MAILBOX_KEEP_MS) are gone at the relay already.
          const now = Date.now();
          dropped = rows.filter((m) => m.expiresAt > now).map((m) => m.id);
          // What was typed for the chat ends with it (../drafts.ts).
          await db.drafts.delete(secretDraftId(chatId));
        } else if (c.sentDraft !== undefined) await deleteSentDraft(db, secretDraftId(chatId), c.sentDraft);
        const seen = c.seen ? [c.seen].flat() : [];
        // One record for all of them: a batch of a page is one write, not one per envelope.
        if (seen.length) await db.seenEnvelopes.put(seenRecord(seen, Date.now()));
        if (row === null) {
          await db.secretChats.delete(chatId);
          // Envelopes kept for a newer version of it (parked.ts) could never be received now.
          await db.parkedEnvelopes.where('chatId').equals(chatId).delete();
        }
        if (removes) blobs = await removeMessages(db, chatId, c);
        if (add.length) stored = await addNew(db.secretMessages, add);
        if (put.length) await db.secretMessages.bulkPut(put);
        // A message read leaves the unread index (Dexie's update() removes an undefined property).
        for (const u of c.updates ?? []) await db.secretMessages.update(u.id, u.changes.status === 'read' ? { ...u.changes, unread: undefined } : u.changes);
        // The chat's row once its messages are written: a pin goes with its message, whatever removed
        // it (this commit's delete or clear, or the self-destruct purge since the row was read).
        if (row) {
          const was = row.pinnedAt !== undefined && row.archived !== true ? await db.secretChats.get(chatId) : undefined;
          await db.secretChats.put(await withPinRoom(db, 'secret', chatId, was, await withLivePins(db, row)));
        } else if (row === undefined && removes) {
          const was = await db.secretChats.get(chatId);
          const now = was && (await withLivePins(db, was));
          if (now !== was) await db.secretChats.put(now!);
        }
        if (c.queue?.length) await db.sendQueue.bulkPut(c.queue);
        if (c.trust) await db.trustPins.put(c.trust);
      });
    } catch (e) {
      throw new StoreFailure(e);
    }
    if (c.seen && !Array.isArray(c.seen)) this.lastSeenCommitted = c.seen.id;
    // Best effort: the relay forgets them at their expiry anyway; posts to them are then refused.
    if (dropped.length) void this.relay.dropMailboxes(dropped).catch(() => undefined);
    // Best effort, as the self-destruct purge does: the relay refuses a blob this device may not delete.
    for (const id of blobs) void this.relay.deleteBlob(id).catch(() => undefined);
    this.touch(
      chatId,
      c.clearChat || row === null
        ? null
        : [...put.map((r) => r.id), ...add.flatMap((r) => (stored.has(r.id) ? [] : [r.id])), ...(c.remove ?? []), ...(c.updates ?? []).map((u) => u.id)]
    );
    // The relay wakes this device soon after each new deadline: at coarse slots of its own, asked for
    // at a random time, not at the read (./wakeups.ts).
    const deadlines = (c.updates ?? []).map((u) => u.changes.deadline).filter((d): d is number => !!d);
    if (deadlines.length) void this.wakeups.add(deadlines).catch(() => undefined);
    return stored.size;
  }

  /**
   * A message row at once, its box sealed in the background: `sealing` fills it in, and commit()
   * waits for it (a row written any other way must await it first). A batch's rows are thus sealed by
   * WebCrypto off this thread while the next envelopes decrypt. Until then the box is empty, which no
   * reader opens.
   */
  messageRow(
    chatId: string,
    id: string,
    at: number,
    mine: boolean,
    body: SecretBody,
    status: SecretMessageRow['status'] = 'sent'
  ): { row: SecretMessageRow; sealing: Promise<void> } {
    // A placeholder (kind 'unsupported') burns like the message it stands for.
    const ttl = body.kind === 'service' ? 0 : body.ttl;
    // Service notices are never "unread": they count neither as unread nor for read receipts.
    if (body.kind === 'service') status = 'read';
    const blobId = body.file?.blobId || null;
    // No deadline property until the timer starts: it is indexed, so never null (see upgrade-nulls.ts).
    const row: SecretMessageRow = { id, chatId, at, mine, status, ttl, blobId, box: new Uint8Array(0), ...(isUnread({ mine, status }) ? { unread: 1 as const } : {}) };
    const sealing = this.ctx.vault.seal(secretMsgPlace(id), body).then((box) => void (row.box = box));
    // Awaited by commit(); a row of a frame rejected later in its batch is dropped without it.
    sealing.catch(() => undefined);
    return { row, sealing };
  }

  /**
   * Tells the page (and the purge timer) that a chat changed. During a receive run or a flush the
   * news is gathered and given at most every ANNOUNCE_MS and at the end: a backlog of 1,000 envelopes
   * would otherwise re-render the open screen and re-arm the purge timer 1,000 times.
   */
  changed(chatId: string, rows?: string[]) {
    if (rows) this.touch(chatId, rows);
    if (this.unannounced) {
      this.unannounced.add(chatId);
      if (Date.now() - this.announcedAt >= ANNOUNCE_MS) this.announce();
      return;
    }
    this.ctx.emit(this.event(chatId));
    this.ctx.emit({ type: 'chats' });
  }

  /** Notes message rows written in a chat (null: not known which), for its next event. */
  private touch(chatId: string, ids: string[] | null) {
    const known = this.touched.has(chatId) ? this.touched.get(chatId)! : new Set<string>();
    if (!known || !ids) return void this.touched.set(chatId, null);
    for (const id of ids) known.add(id);
    this.touched.set(chatId, known.size > ROWS_MAX ? null : known);
  }

  /** The chat's event, naming the rows written since the last one when every write was noted. */
  private event(chatId: string): WorkerEvent {
    const rows = this.touched.get(chatId);
    this.touched.delete(chatId);
    return rows ? { type: 'secret', chatId, rows: [...rows] } : { type: 'secret', chatId };
  }

  async gathered<T>(run: () => Promise<T>): Promise<T> {
    if (this.gathering++ === 0) {
      this.unannounced = new Set();
      this.announcedAt = Date.now();
    }
    try {
      return await run();
    } finally {
      this.announce();
      if (--this.gathering === 0) this.unannounced = null;
    }
  }

  private announce() {
    const chats = this.unannounced;
    if (!chats?.size) return;
    this.unannounced = new Set();
    this.announcedAt = Date.now();
    for (const chatId of chats) this.ctx.emit(this.event(chatId));
    this.ctx.emit({ type: 'chats' });
  }
}

/** `row` without the pins of messages no longer stored in its chat (read in the commit's transaction); itself when none went. */
async function withLivePins<R extends SecretChatRow>(db: CinderDB, row: R): Promise<R> {
  const pins = storedPins(row);
  if (!pins.length) return row;
  const rows = await db.secretMessages.bulkGet(pins.map((p) => p.id));
  return withoutPins(
    row,
    pins.filter((_, i) => rows[i]?.chatId !== row.id).map((p) => p.id)
  );
}

/**
 * Deletes the messages `c` removes (its clear first) with their attachments; returns the relay copies
 * to delete. A delete for me leaves those of my own files: they are the peer's, who keeps the message.
 */
async function removeMessages(db: CinderDB, chatId: string, c: Commit): Promise<string[]> {
  // A new collection each time: Dexie's filter() narrows the collection it is called on.
  const inChat = () => db.secretMessages.where('[chatId+at]').between([chatId, -Infinity], [chatId, Infinity]);
  const files = c.clearChat
    ? await inChat()
        .filter((m) => !!m.blobId)
        .toArray()
    : [];
  const picked = c.remove?.length ? await db.secretMessages.bulkGet(c.remove) : [];
  if (c.clearChat) {
    await inChat().delete();
    await db.secretMedia.where('chatId').equals(chatId).delete();
  }
  if (c.remove?.length) {
    await db.secretMessages.bulkDelete(c.remove);
    await db.secretMedia.bulkDelete(c.remove);
  }
  return [...files, ...picked].flatMap((m) => (m?.blobId && !(c.forMe && m.mine) ? [m.blobId] : []));
}
