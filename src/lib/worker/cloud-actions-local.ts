/**
 * A queued cloud action (./cloud-actions.ts) applied on this device: at once when it is taken, and
 * again over whatever the relay's log brings for the same message or chat while it waits (the waiting
 * action's value wins until it is sent and its echo comes back). Applying is idempotent: an edit sets
 * the text, a reaction sets mine, a pin sets the message's place in the chat row's pins, a delete
 * deletes, a setting sets.
 */
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { msgPlace, type Body } from './cloud';
import { pendingFor, queueAction, readActions, type ActionBody } from './cloud-actions';
import { withSettings } from './chat-settings';
import { storedPins, withoutPins, withPinned } from './pins';
import { OUTBOX_LOCK, withLock } from './locks';
import type { WorkerEvent } from './protocol';
import { recountUnread } from './unread';

/** What an application changed: messages rewritten (an open window re-reads them), and whether chats changed. */
export interface LocalChange {
  edited: string[];
  chats: boolean;
}

/**
 * Rewrites a stored message's body (sealing runs outside the transaction; the write only if the row is
 * still the one read, else read again). False when the message is not stored here (or not this chat's).
 */
async function rewrite(db: CinderDB, vault: Vault, peerId: string, id: string, change: (body: Body) => Body, fields: Partial<MessageRow> = {}): Promise<boolean> {
  for (let tries = 0; tries < 5; tries++) {
    const row = await db.messages.get(id);
    if (row?.peerId !== peerId) return false;
    const box = await vault.seal<Body>(msgPlace(id), change(await vault.open<Body>(msgPlace(id), row.box)));
    const written = await db.transaction('rw', db.messages, async () => {
      const now = await db.messages.get(id);
      if (!now || !equalBytes(now.box, row.box)) return false;
      await db.messages.put({ ...now, ...fields, box });
      return true;
    });
    if (written) return true;
  }
  return false;
}

/** My reaction in a body's reactions: replaced, or removed by ''. */
const withMine = (body: Body, me: string, emoji: string): Body => {
  const { reactions = [], ...rest } = body;
  const next = [...reactions.filter((r) => r.userId !== me), ...(emoji ? [{ userId: me, emoji } as (typeof reactions)[number]] : [])];
  return { ...rest, ...(next.length ? { reactions: next } : {}) };
};

/** Applies one action to the stored rows. */
export async function applyLocal(db: CinderDB, vault: Vault, me: string, peerId: string, body: ActionBody): Promise<LocalChange> {
  switch (body.kind) {
    case 'edit': {
      const { id, text } = body.req;
      // `editedHere`: the time is this device's; the relay's edit replaces it whatever its time (./cloud-edits.ts).
      const done = await rewrite(db, vault, peerId, id, (b) => ({ ...b, text }), { editedAt: body.at, editedHere: true });
      return { edited: done ? [id] : [], chats: done };
    }
    case 'react': {
      const done = await rewrite(db, vault, peerId, body.req.id, (b) => withMine(b, me, body.req.emoji ?? ''));
      return { edited: done ? [body.req.id] : [], chats: false };
    }
    case 'pin': {
      const { id, pinned } = body.req;
      await db.transaction('rw', db.chats, async () => {
        const row = await db.chats.get(peerId);
        // A pin keeps the time it has, as the relay does.
        if (row) await db.chats.put(withPinned(row, id, pinned ? (storedPins(row).find((p) => p.id === id)?.at ?? body.at) : null));
      });
      // The open chat's bar re-reads the pins on a `messages` event of the chat.
      return { edited: [], chats: false };
    }
    case 'delete': {
      const ids = body.req.ids;
      await db.transaction('rw', [db.messages, db.outbox, db.cloudMedia, db.chats], async () => {
        const rows = await db.messages.bulkGet(ids);
        const mine = ids.filter((_, i) => rows[i]?.peerId === peerId);
        await db.messages.bulkDelete(mine);
        await db.outbox.bulkDelete(mine);
        await db.cloudMedia.bulkDelete(mine);
        await recountUnread(db, [peerId], me);
        // Their pins go with them, as on the relay once it has the delete (a trigger there); applied
        // again over the relay's pins until then, when the rows are gone already.
        const chat = await db.chats.get(peerId);
        const next = chat && withoutPins(chat, ids);
        if (next !== chat) await db.chats.put(next!);
      });
      return { edited: [], chats: true };
    }
    case 'settings': {
      const { pinned, mutedUntil, archived, markedUnread } = body.req;
      await db.transaction('rw', db.chats, async () => {
        const row = await db.chats.get(peerId);
        if (!row) return;
        await db.chats.put(
          withSettings(row, {
            // A pin keeps its first time (the list's order stays), as the relay does.
            pinnedAt: pinned === undefined ? (row.pinnedAt ?? null) : pinned ? (row.pinnedAt ?? Date.now()) : null,
            mutedUntil: mutedUntil === undefined ? (row.mutedUntil ?? null) : mutedUntil,
            archived: archived ?? row.archived === true,
            markedUnread: markedUnread ?? row.markedUnread === true
          })
        );
      });
      return { edited: [], chats: true };
    }
  }
}

/**
 * The actions still waiting for these messages or chats applied again: called once the relay's log
 * (or a page read from it) has written them, before anything is announced.
 */
export async function reapplyPending(db: CinderDB, vault: Vault, me: string, ids: ReadonlySet<string>, peers: ReadonlySet<string>): Promise<void> {
  if (!(ids.size || peers.size) || !(await db.cloudActions.count())) return;
  for (const a of pendingFor(await readActions(db, vault), ids, peers)) await applyLocal(db, vault, me, a.peerId, a.body);
}

/** Ids of the messages waiting for a delete for everyone in a chat (a page read from the relay leaves them out). */
export async function pendingDeletes(db: CinderDB, vault: Vault, peerId: string): Promise<Set<string>> {
  if (!(await db.cloudActions.count())) return new Set();
  const out = new Set<string>();
  for (const a of await readActions(db, vault)) if (a.body.kind === 'delete' && a.peerId === peerId && !a.refused) for (const id of a.body.req.ids) out.add(id);
  return out;
}

/** What taking an action needs of the worker (a part of rpc/context.ts's CoreContext). */
export interface ActionDeps {
  readonly db: CinderDB;
  readonly vault: Vault;
  readonly me: string;
  emit(e: WorkerEvent): void;
  flush(): Promise<void>;
}

/**
 * A cloud action taken: queued first (a worker ending right after still sends it), shown here at
 * once, then sent with the outbox (at once when online, else when the connection returns).
 */
export async function takeAction(ctx: ActionDeps, peerId: string, body: ActionBody): Promise<void> {
  await queueAction(ctx.db, ctx.vault, peerId, body);
  const { edited, chats } = await applyLocal(ctx.db, ctx.vault, ctx.me, peerId, body);
  if (body.kind !== 'settings') ctx.emit({ type: 'messages', peerId, ...(edited.length ? { edited } : {}) });
  if (chats) ctx.emit({ type: 'chats' });
  void ctx.flush();
}

/**
 * An edit of my message still in the outbox: its queued send carries the new text instead (the relay
 * never had the old one, so there is nothing to edit there). Under the outbox's lock, so no flush is
 * sending the old text meanwhile. False when it is not in the outbox (any more), or is a forwarded
 * copy waiting there (its words are its author's: the relay copies them).
 */
export function rewriteQueuedSend(db: CinderDB, vault: Vault, id: string, text: string): Promise<boolean> {
  return withLock(OUTBOX_LOCK, async () => {
    const queued = await db.outbox.get(id);
    if (!queued) return false;
    const body = await vault.open<Body>(msgPlace(id), queued.box);
    if (body.forward) return false;
    const box = await vault.seal<Body>(msgPlace(id), { ...body, text });
    return db.transaction('rw', db.messages, db.outbox, async () => {
      const [now, row] = await Promise.all([db.outbox.get(id), db.messages.get(id)]);
      if (!now || !row || !equalBytes(now.box, queued.box)) return false;
      await db.outbox.put({ ...now, box });
      await db.messages.put({ ...row, box });
      return true;
    });
  });
}
