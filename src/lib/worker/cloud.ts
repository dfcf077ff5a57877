/**
 * Cloud chats on the device: the local copy of the server's history, kept in step by replaying
 * the user's update log. Every apply is idempotent (rows are keyed by message id), so an update
 * seen twice — through the socket and again through sync — changes nothing the second time.
 */
import { Dexie } from 'dexie';
import type { CloudMessage, PublicUser, Update } from '$lib/api/wire';
import type { ChatRow, CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import type { ChatView, MessageView } from './protocol';

export interface Body {
  text: string;
  replyTo: string | null;
}

export const msgPlace = (id: string) => `messages/${id}`;

export async function sealMessage(vault: Vault, m: CloudMessage): Promise<MessageRow> {
  return {
    id: m.id,
    peerId: m.peerId,
    seq: m.seq,
    senderId: m.senderId,
    createdAt: m.createdAt,
    status: 'sent',
    box: await vault.seal<Body>(msgPlace(m.id), { text: m.text, replyTo: m.replyTo })
  };
}

function newChat(peer: PublicUser, lastAt: number): ChatRow {
  return { peerId: peer.id, peer, lastAt, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0 };
}

/**
 * Applies a batch of updates in one transaction. Sealing happens before the transaction opens
 * because IndexedDB transactions cannot span WebCrypto calls. Returns the peers whose chats changed.
 */
export async function applyUpdates(db: CinderDB, vault: Vault, me: string, updates: Update[]): Promise<Set<string>> {
  const sealed = new Map<string, MessageRow>();
  for (const u of updates) if (u.kind === 'message') sealed.set(u.message.id, await sealMessage(vault, u.message));
  const changed = new Set<string>();
  await db.transaction('rw', db.chats, db.messages, db.outbox, async () => {
    for (const u of updates) {
      changed.add(u.kind === 'message' ? u.message.peerId : u.peerId);
      if (u.kind === 'message') {
        const m = u.message;
        const chat = (await db.chats.get(m.peerId)) ?? newChat(u.peer, m.createdAt);
        chat.peer = u.peer;
        chat.lastAt = Math.max(chat.lastAt, m.createdAt);
        // My own message read by the server means I have read everything before it.
        if (m.senderId === me) chat.myReadSeq = Math.max(chat.myReadSeq, m.seq);
        await db.chats.put(chat);
        await db.messages.put(sealed.get(m.id)!);
        await db.outbox.delete(m.id);
      } else if (u.kind === 'read') {
        const chat = await db.chats.get(u.peerId);
        if (!chat) continue;
        if (u.readerId === me) {
          chat.myReadSeq = Math.max(chat.myReadSeq, u.seq);
          chat.readSentSeq = Math.max(chat.readSentSeq, u.seq);
        } else chat.peerReadSeq = Math.max(chat.peerReadSeq, u.seq);
        await db.chats.put(chat);
      } else {
        await db.messages.bulkDelete(u.ids);
        await db.outbox.bulkDelete(u.ids);
      }
    }
  });
  return changed;
}

export async function storeChatPeer(db: CinderDB, peer: PublicUser): Promise<ChatRow> {
  return db.transaction('rw', db.chats, async () => {
    const chat = (await db.chats.get(peer.id)) ?? newChat(peer, 0);
    chat.peer = peer;
    await db.chats.put(chat);
    return chat;
  });
}

const byPeer = (db: CinderDB, peerId: string) =>
  db.messages.where('[peerId+createdAt]').between([peerId, Dexie.minKey], [peerId, Dexie.maxKey]);

export async function unreadCount(db: CinderDB, chat: ChatRow, me: string): Promise<number> {
  return db.messages
    .where('[peerId+seq]')
    .between([chat.peerId, chat.myReadSeq + 1], [chat.peerId, Dexie.maxKey])
    .filter((m) => m.senderId !== me)
    .count();
}

export async function chatViews(db: CinderDB, vault: Vault, me: string): Promise<ChatView[]> {
  const chats = await db.chats.orderBy('lastAt').reverse().toArray();
  const views: ChatView[] = [];
  for (const chat of chats) {
    const last = await byPeer(db, chat.peerId).last();
    if (!last) continue;
    const body = await vault.open<Body>(msgPlace(last.id), last.box);
    views.push({
      kind: 'cloud',
      id: chat.peerId,
      peer: chat.peer,
      preview: body.text,
      previewMine: last.senderId === me,
      lastAt: last.createdAt,
      unread: await unreadCount(db, chat, me)
    });
  }
  return views;
}

export async function messageView(vault: Vault, row: MessageRow, me: string, peerReadSeq: number): Promise<MessageView> {
  const body = await vault.open<Body>(msgPlace(row.id), row.box);
  const mine = row.senderId === me;
  const ticks =
    row.status === 'failed' ? 'failed' : row.status === 'pending' ? 'pending' : mine && row.seq <= peerReadSeq ? 'read' : 'sent';
  return {
    id: row.id,
    seq: row.seq,
    text: body.text,
    replyTo: body.replyTo,
    mine,
    senderId: row.senderId,
    createdAt: row.createdAt,
    ticks
  };
}

/** A page of stored history, oldest first; outbox messages (seq 0) come after the newest page. */
export async function localPage(db: CinderDB, peerId: string, beforeSeq: number | undefined, limit: number) {
  const upper = beforeSeq === undefined ? Dexie.maxKey : beforeSeq;
  const stored = await db.messages
    .where('[peerId+seq]')
    .between([peerId, 1], [peerId, upper], true, false)
    .reverse()
    .limit(limit)
    .toArray();
  stored.reverse();
  const pending =
    beforeSeq === undefined
      ? (await db.messages.where('[peerId+seq]').equals([peerId, 0]).toArray()).sort((a, b) => a.createdAt - b.createdAt)
      : [];
  return { stored, pending };
}
