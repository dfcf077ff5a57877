/**
 * Cloud sync: the user's update log replayed into the local database. A pull reads the log page by
 * page from the stored cursor; each page is checked row by row, sealed, and committed with the new
 * cursor in one transaction, while the next page is already being fetched and sealed. Applying is
 * idempotent (rows are keyed by message id), so a page applied twice — after a crash between commit
 * and the next fetch, or a live update seen again through sync — changes nothing the second time.
 * The pages' checking, sealing and read-ahead are ./cloud-sync-pages.ts; this file commits them.
 */
import { Dexie } from 'dexie';
import type { PublicUser, Update } from '$lib/api/wire';
import { withoutMarkers } from '$lib/api/rich-text';
import type { ChatRow, CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { keptSettingsKey, withKeptSettings, withSettings } from './chat-settings';
import { mediaLabel, newChat, samePeer } from './cloud';
import { dropStalePhotos } from './photos';
import { applyOwnProfile } from './own-profile';
import type { SessionView } from './protocol';
import { reapplyPending } from './cloud-actions-local';
import { withoutPins, withPins } from './pins';
import { clearedIds, withCleared } from './cloud-clear';
import { prepareEdits, stillBase } from './cloud-edits';
import { prepareScheduled, writeScheduled } from './scheduled';
import { dropKept, keepLater, knownNow } from './cloud-kept';
import { hiddenKey, idsOf } from './hidden';
import { SYNC_LOCK, withLock } from './locks';
import { isSelfChat } from './saved';
import { countUnread } from './unread';
import { checkPage, readAhead, sealAll, type Prepared, type Rejected } from './cloud-sync-pages';

export { checkPage, type Page, type Rejected } from './cloud-sync-pages';

/** A message from the peer seen for the first time (notifications). */
export interface Fresh {
  peer: PublicUser;
  /** As a notification shows it: no formatting markers, a spoiler masked. */
  text: string;
}

export interface Applied {
  changed: Set<string>;
  /** Chats whose peer's profile changed (renamed, or the account deleted): the open chat re-reads it. */
  peers: Set<string>;
  fresh: Fresh[];
  /** Some message now has a self-destruct deadline (a timed photo or video was opened). */
  deadlines?: boolean;
  rejected: Rejected[];
  /** Whether the chat list changed since it was last announced and should be announced now (see `pullLocked`). */
  list: boolean;
  /** Messages an edit or a reaction rewrote, by chat: an open window re-reads them wherever they are. */
  edited?: Map<string, string[]>;
  /** The peer's read marker where it moved, by chat: an open window shows my rows up to it as read, wherever they are. */
  read?: Map<string, number>;
  /** Chats whose scheduled messages changed (only those: their messages did not, so no window re-reads). */
  scheduled?: Set<string>;
  /** My own name or photo changed on another device of mine (./own-profile.ts): the session now. */
  session?: SessionView;
}

const CURSOR = 'cursor';
/** The `[peerId+seq]` key of a chat's newest stored message, from the index alone. */
const newestKey = async (db: CinderDB, peerId: string) =>
  (await db.messages.where('[peerId+seq]').between([peerId, Dexie.minKey], [peerId, Dexie.maxKey]).reverse().limit(1).keys())[0] as unknown as
    [string, number] | undefined;
const cursorOf = async (db: CinderDB) => ((await db.meta.get(CURSOR))?.value as number | undefined) ?? 0;

/**
 * Applies a batch of updates (a sync page, or one live update) in one transaction, with one bulk
 * read and one bulk write per table. Updates take effect in their order: a message deleted later in
 * the batch is never written. With `cursor`, the stored cursor moves there in the same transaction,
 * so it never runs ahead of what is stored (and never goes back).
 */
export async function applyUpdates(db: CinderDB, vault: Vault, me: string, updates: Update[], cursor?: number): Promise<Applied> {
  return commit(db, vault, me, { updates, rejected: [], sealed: await sealAll(vault, updates) }, cursor);
}

async function commit(db: CinderDB, vault: Vault, me: string, page: Pick<Prepared, 'updates' | 'rejected' | 'sealed'>, cursor?: number): Promise<Applied> {
  const { updates, sealed } = page;
  // Sealed here, after the pages before this one are committed: an edit finds the message they stored.
  const edits = await prepareEdits(db, vault, updates, sealed);
  const scheduled = await prepareScheduled(vault, updates);
  const changed = new Set<string>();
  const peers = new Set<string>();
  const fresh: Fresh[] = [];
  const edited = new Map<string, string[]>();
  const read = new Map<string, number>();
  let own: PublicUser | undefined;
  await db.transaction('rw', [db.chats, db.messages, db.outbox, db.cloudMedia, db.meta, db.scheduled], async () => {
    const peerIds = [...new Set(updates.map((u) => (u.kind === 'message' ? u.message.peerId : u.peerId)))];
    const messagePeers = [...new Set([...sealed.values()].map((m) => m.peerId))];
    // The reads in one round trip: chats, the stored cursor and the ids deleted for me (./hidden:
    // a replayed update does not bring them back), each chat's newest stored seq (a message above it
    // is new here: seqs grow with the log within a chat), and the outbox's ids (usually none).
    // Deleted rows may belong to another chat than their update names: their chats' counts are redone.
    const deleteIds = updates.flatMap((u) => (u.kind === 'delete' ? u.ids : []));
    const deletedRows = deleteIds.length ? await db.messages.bulkGet(deleteIds) : [];
    for (const r of deletedRows) if (r && !peerIds.includes(r.peerId)) peerIds.push(r.peerId);
    const editIds = [...edits.keys()];
    const [chatRows, metaRows, newest, queued, editRows] = await Promise.all([
      db.chats.bulkGet(peerIds),
      db.meta.bulkGet([CURSOR, ...messagePeers.map(hiddenKey), ...messagePeers.map(keptSettingsKey)]),
      Promise.all(messagePeers.map(async (p) => ((await newestKey(db, p))?.[1] as number | undefined) ?? 0)),
      db.outbox.toCollection().primaryKeys(),
      editIds.length ? db.messages.bulkGet(editIds) : []
    ]);
    const editBase = new Map(editIds.map((id, i) => [id, editRows[i]]));
    const chats = new Map<string, ChatRow>();
    chatRows.forEach((c, i) => c && chats.set(peerIds[i], c));
    // Unread counts: a peer's message above the chat's newest stored seq is a row new to this device
    // and adds one; anything else that may change a count (a read marker that moves, a row that may
    // already be stored, a delete, a count not known) has the chat counted again after the writes.
    const readBefore = new Map([...chats].map(([id, c]) => [id, c.myReadSeq]));
    const recount = new Set(deletedRows.flatMap((r) => (r ? [r.peerId] : [])));
    const added = new Map<string, number[]>();
    const hidden = new Map(messagePeers.map((p, i) => [p, new Set(idsOf(metaRows[i + 1]?.value))]));
    // Settings kept for chats with no row here (../chat-settings.ts): taken by the row when it is made.
    const keptSettings = new Map<string, unknown>(messagePeers.map((p, i) => [p, metaRows[i + 1 + messagePeers.length]?.value]));
    const keptChanged = new Set<string>();
    const top = new Map(messagePeers.map((p, i) => [p, newest[i]]));
    const inOutbox = new Set(queued as string[]);
    const dirty = new Set<string>();
    const puts = new Map<string, MessageRow>();
    const deleted = new Set<string>();
    const unqueued = new Set<string>();
    for (const u of updates) {
      // My scheduled messages (./scheduled.ts): written below, announced apart (the chat's messages did not change).
      if (u.kind === 'scheduled') continue;
      changed.add(u.kind === 'message' ? u.message.peerId : u.peerId);
      if (u.kind === 'message') {
        const m = u.message;
        if (hidden.get(m.peerId)?.has(m.id)) continue;
        let chat = chats.get(m.peerId);
        // Cleared from my history (./cloud-clear.ts): an older copy never comes back; a later one brings a deleted chat back.
        if (chat && m.seq <= (chat.clearedSeq ?? 0)) continue;
        if (chat?.removed) delete chat.removed;
        if (!chat) {
          chat = withKeptSettings(newChat(u.peer, m.createdAt), keptSettings.get(m.peerId));
          if (keptSettings.get(m.peerId) !== undefined) {
            keptSettings.delete(m.peerId);
            keptChanged.add(m.peerId);
          }
          readBefore.set(m.peerId, chat.myReadSeq);
          // Rows stored without their chat (not expected) would be missed by counting only the new ones.
          if (top.get(m.peerId)) recount.add(m.peerId);
        }
        if (!samePeer(chat.peer, u.peer)) peers.add(m.peerId);
        chat.peer = u.peer;
        chat.lastAt = Math.max(chat.lastAt, m.createdAt);
        // My own message read by the server means I have read everything before it. In Saved Messages
        // (./saved.ts) nobody else reads: the marker has no one to tell, so it counts as sent.
        if (m.senderId === me) chat.myReadSeq = Math.max(chat.myReadSeq, m.seq);
        if (isSelfChat(m.peerId, me)) chat.readSentSeq = Math.max(chat.readSentSeq, chat.myReadSeq);
        chats.set(m.peerId, chat);
        dirty.add(m.peerId);
        const seen = top.get(m.peerId) ?? 0;
        if (m.senderId !== me && m.seq > chat.myReadSeq && m.seq > seen) fresh.push({ peer: u.peer, text: withoutMarkers(m.text) || mediaLabel(m.media) });
        if (m.senderId !== me) {
          if (m.seq <= seen) recount.add(m.peerId);
          else if (added.has(m.peerId)) added.get(m.peerId)!.push(m.seq);
          else added.set(m.peerId, [m.seq]);
        }
        top.set(m.peerId, Math.max(seen, m.seq));
        puts.set(m.id, sealed.get(m.id)!);
        deleted.delete(m.id);
        if (inOutbox.has(m.id)) unqueued.add(m.id);
      } else if (u.kind === 'read') {
        const chat = chats.get(u.peerId);
        if (!chat) continue;
        if (u.readerId === me) {
          chat.myReadSeq = Math.max(chat.myReadSeq, u.seq);
          chat.readSentSeq = Math.max(chat.readSentSeq, u.seq);
        } else {
          chat.peerReadSeq = Math.max(chat.peerReadSeq, u.seq);
          read.set(u.peerId, chat.peerReadSeq);
        }
        dirty.add(u.peerId);
      } else if (u.kind === 'settings') {
        // My own pin, mute and archive of the chat (from another device of mine, this one's change coming
        // back, or the relay taking it out of the archive for a new message).
        const chat = chats.get(u.peerId);
        if (!chat) {
          keptSettings.set(u.peerId, { pinnedAt: u.pinnedAt, mutedUntil: u.mutedUntil, archived: u.archived === true, markedUnread: u.markedUnread === true });
          keptChanged.add(u.peerId);
          continue;
        }
        chats.set(u.peerId, withSettings(chat, u));
        dirty.add(u.peerId);
      } else if (u.kind === 'profile') {
        // The peer renamed or changed their photo (../photos.ts drops the old one's bytes after the commit); or I did, elsewhere.
        if (u.peerId === me) own = u.peer;
        const chat = chats.get(u.peerId);
        if (!chat) continue;
        if (!samePeer(chat.peer, u.peer)) peers.add(u.peerId);
        chats.set(u.peerId, { ...chat, peer: u.peer });
        dirty.add(u.peerId);
      } else if (u.kind === 'pin') {
        // The chat's pins now (../pins.ts); a chat with no row here has no message to pin yet.
        const chat = chats.get(u.peerId);
        if (!chat) continue;
        chats.set(u.peerId, withPins(chat, u.pins));
        dirty.add(u.peerId);
      } else if (u.kind === 'edit' || u.kind === 'react') {
        const e = edits.get(u.id);
        if (!e || deleted.has(u.id)) continue;
        // Made from this batch's message: only once that is written; from the stored row: only if it is still that row.
        if (e.was === null ? puts.has(u.id) : puts.has(u.id) || stillBase(e, editBase.get(u.id))) {
          puts.set(u.id, e.row);
          const ids = edited.get(e.row.peerId) ?? [];
          if (!ids.includes(u.id)) edited.set(e.row.peerId, [...ids, u.id]);
        }
      } else {
        recount.add(u.peerId);
        // A deleted (or cleared) message takes its pin with it (the relay dropped it too).
        const chat = chats.get(u.peerId);
        const ids = u.kind === 'clear' ? await clearedIds(db, u, puts) : u.ids;
        if (chat) chats.set(u.peerId, u.kind === 'clear' ? withCleared(withoutPins(chat, ids), u) : withoutPins(chat, ids));
        if (chat) dirty.add(u.peerId);
        for (const id of ids) {
          puts.delete(id);
          deleted.add(id);
          if (inOutbox.has(id)) unqueued.add(id);
        }
      }
    }
    // The writes are queued without waiting for each other (IndexedDB runs them in this order);
    // `puts` and `deleted` are disjoint (each update above moves its ids from one to the other).
    const writes: Promise<unknown>[] = writeScheduled(db, scheduled);
    if (deleted.size) {
      writes.push(db.messages.bulkDelete([...deleted]));
      // A deleted (or expired) photo or video leaves nothing behind on the device.
      writes.push(db.cloudMedia.bulkDelete([...deleted]));
    }
    if (puts.size) writes.push(db.messages.bulkPut([...puts.values()]));
    if (unqueued.size) writes.push(db.outbox.bulkDelete([...unqueued]));
    const stored = (metaRows[0]?.value as number | undefined) ?? 0;
    if (cursor !== undefined && cursor > stored) writes.push(db.meta.put({ key: CURSOR, value: cursor }));
    for (const id of keptChanged) {
      const value = keptSettings.get(id);
      writes.push(value === undefined ? db.meta.delete(keptSettingsKey(id)) : db.meta.put({ key: keptSettingsKey(id), value }));
    }
    const stale: [string, ChatRow][] = [];
    for (const [id, chat] of chats) {
      if (!dirty.has(id) && !recount.has(id)) continue;
      dirty.add(id);
      if (recount.has(id) || chat.myReadSeq !== readBefore.get(id) || typeof chat.unread !== 'number') stale.push([id, chat]);
      else chat.unread += (added.get(id) ?? []).filter((seq) => seq > chat.myReadSeq).length;
    }
    if (stale.length) {
      // Counted once the rows above are written (rarely: see `recount`).
      await Promise.all(writes.splice(0));
      await Promise.all(stale.map(async ([id, chat]) => (chat.unread = await countUnread(db, id, chat.myReadSeq, me))));
    }
    if (dirty.size) writes.push(db.chats.bulkPut([...dirty].map((id) => chats.get(id)!)));
    await Promise.all(writes);
  });
  if (peers.size) await dropStalePhotos(db, [...peers]);
  const session = own && (await applyOwnProfile(db, me, own));
  // Actions still waiting here win over what the log says of the same message or chat, until their own echo comes.
  const ids = new Set(updates.flatMap((u) => (u.kind === 'message' ? [u.message.id] : u.kind === 'edit' || u.kind === 'react' ? [u.id] : [])));
  await reapplyPending(db, vault, me, ids, new Set(updates.flatMap((u) => (u.kind === 'settings' || u.kind === 'pin' ? [u.peerId] : []))));
  const deadlines = [...sealed.values()].some((r) => typeof r.deadline === 'number');
  const plans = new Set(updates.flatMap((u) => (u.kind === 'scheduled' ? [u.peerId] : [])));
  return {
    changed,
    peers,
    fresh,
    deadlines,
    rejected: page.rejected,
    list: changed.size > 0,
    ...(edited.size ? { edited } : {}),
    ...(read.size ? { read } : {}),
    ...(plans.size ? { scheduled: plans } : {}),
    ...(session ? { session } : {})
  };
}

/**
 * Whether this device may apply live updates one by one. It is not after connecting (until a pull
 * that started after that connect completes) nor after a failed pull: updates between the stored
 * cursor and a live one would be skipped for good, since applying the live one moves the cursor
 * past them. `epoch` counts connects: a pull that began before the latest one read the log before
 * the new socket subscribed, so it leaves the device behind.
 */
export interface SyncState {
  behind: boolean;
  epoch: number;
}

/**
 * A page re-reads the chat list on every notice, and that read (each chat's newest row) holds the
 * messages store while the next page waits to commit: during a long pull the list is
 * announced at most this often, and once at its end. Each page still announces its chats' messages.
 */
const LIST_NOTICE_MS = 1000;

async function pullLocked(db: CinderDB, vault: Vault, me: string, onApplied: (a: Applied) => void, state?: SyncState): Promise<void> {
  const epoch = state?.epoch;
  let owed = false;
  let noticeAt = -Infinity;
  let ahead: ReturnType<typeof readAhead> | undefined;
  try {
    ahead = readAhead(vault, await cursorOf(db));
    for (;;) {
      const page = await ahead.next();
      // Kept before the cursor moves past them; those over the bounds are rejected like the rest.
      for (const u of await keepLater(db, vault, page.later)) page.rejected.push({ cursor: u.cursor, reason: `unknown kind '${u.kind}', not kept (no room)` });
      // A refused update is named here and skipped: the rest of its page applies, the cursor moves on.
      for (const r of page.rejected) console.warn(`cinder sync: update ${r.cursor ?? '?'} rejected: ${r.reason}`);
      const applied = await commit(db, vault, me, page, page.cursor);
      owed ||= applied.list;
      applied.list = owed && (!page.more || performance.now() - noticeAt >= LIST_NOTICE_MS);
      if (applied.list) [owed, noticeAt] = [false, performance.now()];
      onApplied(applied);
      if (!page.more) break;
    }
    await applyKeptLocked(db, vault, me, onApplied).catch(keptFailed);
  } catch (e) {
    ahead?.stop();
    if (state) state.behind = true;
    if (owed) onApplied({ changed: new Set(), peers: new Set(), fresh: [], rejected: [], list: true });
    throw e;
  }
  if (state && state.epoch === epoch) state.behind = false;
}

/**
 * Kept updates (./cloud-kept.ts) whose kind this version knows now, applied in cursor order like a page
 * (checked by checkPage, without moving the cursor), then dropped; the still unknown ones stay. A crash
 * in between applies them again: applying is idempotent (an edit's newest `editedAt` wins).
 */
async function applyKeptLocked(db: CinderDB, vault: Vault, me: string, onApplied: (a: Applied) => void): Promise<void> {
  const kept = await knownNow(db, vault);
  if (!kept.length) return;
  const page = checkPage({ updates: kept.map((k) => k.update), cursor: kept.at(-1)!.cursor, more: false }, kept[0].cursor - 1);
  for (const r of page.rejected) console.warn(`cinder sync: kept update ${r.cursor ?? '?'} rejected: ${r.reason}`);
  if (page.updates.length) onApplied(await commit(db, vault, me, { ...page, sealed: await sealAll(vault, page.updates) }));
  const cursors = kept.map((k) => k.cursor);
  await dropKept(db, cursors);
}

/** Applies the kept updates this version knows now (at start, once the vault is open; a sync does it too). */
export function applyKept(db: CinderDB, vault: Vault, me: string, onApplied: (a: Applied) => void): Promise<void> {
  return withLock(SYNC_LOCK, () => applyKeptLocked(db, vault, me, onApplied)).catch(keptFailed);
}

// Not the sync's failure: the log was read; the kept updates wait for the next try.
const keptFailed = (e: unknown) => console.warn('cinder sync: kept updates not applied:', e);

/** Replays the user's update log from the stored cursor until caught up (one context at a time). */
export function pullUpdates(db: CinderDB, vault: Vault, me: string, onApplied: (a: Applied) => void, state?: SyncState): Promise<void> {
  return withLock(SYNC_LOCK, () => pullLocked(db, vault, me, onApplied, state));
}

/**
 * Applies one live update from the socket if this device is caught up and the update directly
 * follows its cursor (`prev`, the user's cursor before this update, is the one stored). Otherwise
 * it pulls from the stored cursor instead, which includes this update: live frames may arrive out
 * of order (concurrent requests, several relay nodes) or after updates this device never saw.
 */
export function applyLive(db: CinderDB, vault: Vault, me: string, u: Update, prev: number | undefined, state: SyncState, onApplied: (a: Applied) => void): Promise<void> {
  return withLock(SYNC_LOCK, async () => {
    if (state.behind) return pullLocked(db, vault, me, onApplied, state);
    const cursor = await cursorOf(db);
    if (u.cursor <= cursor) return;
    if (prev !== cursor) return pullLocked(db, vault, me, onApplied, state);
    onApplied(await applyUpdates(db, vault, me, [u], u.cursor));
  });
}
