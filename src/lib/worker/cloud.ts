/**
 * Cloud chats on the device: the local copy of the server's history (kept in step with the user's
 * update log by ./cloud-sync), and the views pages read (the outbox's flush is ./outbox.ts).
 */
import { Dexie } from 'dexie';
import { z } from '$lib/api/zod';
import { CloudMessage, PublicUser as PublicUserSchema, type CloudMedia, type CloudReaction, type ForwardedFrom, type PublicUser } from '$lib/api/wire';
import { quoteSnippet, timedMedia } from '$lib/api/quote-snippet';
import { withoutMarkers } from '$lib/api/rich-text';
import type { ReplyQuote } from '$lib/api/quote';
import type { ChatRow, CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { places } from '$lib/store/places';
import { quoteView, type ChatView, type ForwardedView, type MessageView, type ReactionsView } from './protocol';
import { keptSettingsKey, settingsView, withKeptSettings } from './chat-settings';
import { request } from './net';
import { unreadOf } from './unread';
import { REFUSED_TEXT } from './blocks';

export interface Body {
  text: string;
  replyTo: string | null;
  /** What a reply quotes of `replyTo` (absent: none, or stored before quotes). */
  quote?: ReplyQuote;
  /** A photo or video (cloud media); its bytes are cached separately (`cloudMedia` table). */
  media?: CloudMedia | null;
  /** The reactions to it, as the relay last served them (absent: none). */
  reactions?: CloudReaction[];
  /**
   * A forwarded copy's first author and time, and the author's profile, as the relay served them (absent: not forwarded).
   * A copy still in the outbox shows what this device knows of its original (./outbox-forward.ts); the relay's replaces it.
   */
  forwardedFrom?: ForwardedFrom;
  /**
   * A forward still in the outbox (./outbox-forward.ts): the original the relay is to copy (my chat
   * with `fromPeerId`, message `id`) and `batch`, the forward it was made in (its copies go in one
   * request). Absent on every message the relay stored.
   */
  forward?: { fromPeerId: string; id: string; batch: string };
}

/** The body a message from the relay is stored with. */
export const bodyOf = (m: CloudMessage): Body => ({
  text: m.text,
  replyTo: m.replyTo,
  media: m.media ?? null,
  ...(m.quote ? { quote: m.quote } : {}),
  ...(m.reactions?.length ? { reactions: m.reactions } : {}),
  ...(m.forwardedFrom ? { forwardedFrom: m.forwardedFrom } : {})
});

/** The name a forwarded copy's header shows: its author's, as the relay last served it (a deleted or unknown account: "Deleted account"). */
export const forwardedView = (f: ForwardedFrom | undefined): ForwardedView | undefined =>
  f ? { name: f.user && !f.user.deleted ? f.user.displayName : 'Deleted account', createdAt: f.createdAt } : undefined;

/** Mine and the peer's reaction, as a page shows them. */
export function reactionsView(reactions: CloudReaction[] | undefined, me: string): ReactionsView | undefined {
  if (!reactions?.length) return undefined;
  const out: ReactionsView = {};
  for (const r of reactions) out[r.userId === me ? 'mine' : 'peer'] = r.emoji;
  return out;
}

export const msgPlace = places.message;

/** What a chat list or a notification shows for a message without text. */
export function mediaLabel(media: Pick<CloudMedia, 'mime' | 'name' | 'voice'> | null | undefined): string {
  if (!media) return '';
  if (media.voice) return '🎤 Voice message';
  if (media.mime.startsWith('image/')) return '📷 Photo';
  if (media.mime.startsWith('video/')) return '🎬 Video';
  return `📎 ${media.name}`;
}

export async function sealMessage(vault: Vault, m: CloudMessage): Promise<MessageRow> {
  const deadline = m.media?.deadline;
  return {
    id: m.id,
    peerId: m.peerId,
    seq: m.seq,
    senderId: m.senderId,
    createdAt: m.createdAt,
    status: 'sent',
    box: await vault.seal<Body>(msgPlace(m.id), bodyOf(m)),
    // Indexed: left out while there is none (WebKit's index ranges return null-keyed rows).
    ...(typeof deadline === 'number' ? { deadline } : {}),
    ...(m.editedAt !== undefined ? { editedAt: m.editedAt } : {})
  };
}

/** A timed attachment was opened: its re-sealed body and deadline, if the message is still stored. */
export async function storeOpenedMedia(db: CinderDB, id: string, box: Uint8Array, deadline: number | null): Promise<void> {
  await db.transaction('rw', db.messages, async () => {
    // undefined makes Dexie's update() remove the property: an indexed deadline is never null.
    if (await db.messages.get(id)) await db.messages.update(id, { box, deadline: deadline ?? undefined });
  });
}

export function newChat(peer: PublicUser, lastAt: number): ChatRow {
  return { peerId: peer.id, peer, lastAt, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0, unread: 0 };
}

/** Whether two copies of a profile show the same (a rename, a new photo or a deleted account makes them differ). */
export const samePeer = (a: PublicUser, b: PublicUser) =>
  a.username === b.username && a.displayName === b.displayName && !!a.deleted === !!b.deleted && (a.photo ?? null) === (b.photo ?? null);

/**
 * Reads the peer's public profile from the relay and stores it on the chat if it changed (renamed, or
 * the account was deleted: `deleted`, no username). True when it changed.
 */
export async function refreshPeer(db: CinderDB, peerId: string): Promise<boolean> {
  const { user } = await request('GET', `/api/users/${encodeURIComponent(peerId)}`, undefined, z.object({ user: PublicUserSchema }));
  return db.transaction('rw', db.chats, async () => {
    const chat = await db.chats.get(peerId);
    if (!chat) return false;
    if (samePeer(chat.peer, user)) return false;
    await db.chats.update(peerId, { peer: user });
    return true;
  });
}

export async function storeChatPeer(db: CinderDB, peer: PublicUser): Promise<ChatRow> {
  return db.transaction('rw', [db.chats, db.meta], async () => {
    let chat = await db.chats.get(peer.id);
    if (!chat) {
      // A new row takes the settings my other devices gave the chat before it was stored here.
      const key = keptSettingsKey(peer.id);
      chat = withKeptSettings(newChat(peer, 0), (await db.meta.get(key))?.value);
      await db.meta.delete(key);
    }
    chat.peer = peer;
    await db.chats.put(chat);
    return chat;
  });
}

const byPeer = (db: CinderDB, peerId: string) => db.messages.where('[peerId+createdAt]').between([peerId, Dexie.minKey], [peerId, Dexie.maxKey]);

export async function chatViews(db: CinderDB, vault: Vault, me: string): Promise<ChatView[]> {
  const chats = await db.chats.orderBy('lastAt').reverse().toArray();
  const views: ChatView[] = [];
  for (const chat of chats) {
    // A chat I deleted stays out until a later message; one whose history I cleared stays, empty (./cloud-clear.ts).
    if (chat.removed) continue;
    const last = await byPeer(db, chat.peerId).last();
    if (!last && !chat.clearedSeq) continue;
    const body = last ? await vault.open<Body>(msgPlace(last.id), last.box) : null;
    views.push({
      kind: 'cloud',
      id: chat.peerId,
      peer: chat.peer,
      preview: body ? withoutMarkers(body.text) || mediaLabel(body.media) : '',
      previewMine: last?.senderId === me,
      lastAt: last?.createdAt ?? chat.lastAt,
      unread: await unreadOf(db, chat, me),
      ...settingsView(chat)
    });
  }
  return views;
}

export async function messageView(vault: Vault, row: MessageRow, me: string, peerReadSeq: number): Promise<MessageView> {
  const body = await vault.open<Body>(msgPlace(row.id), row.box);
  const mine = row.senderId === me;
  const ticks = row.status === 'failed' ? 'failed' : row.status === 'pending' ? 'pending' : mine && row.seq <= peerReadSeq ? 'read' : 'sent';
  const reactions = reactionsView(body.reactions, me);
  const forwarded = forwardedView(body.forwardedFrom);
  return {
    id: row.id,
    seq: row.seq,
    text: body.text,
    replyTo: body.replyTo,
    mine,
    senderId: row.senderId,
    createdAt: row.createdAt,
    ticks,
    media: body.media
      ? {
          mime: body.media.mime,
          name: body.media.name,
          size: body.media.size,
          ttl: body.media.ttl,
          deadline: body.media.deadline,
          ...(body.media.voice ? { voice: body.media.voice } : {}),
          ...(body.media.width && body.media.height ? { width: body.media.width, height: body.media.height } : {})
        }
      : null,
    quote: quoteView(body.replyTo, body.quote, mine),
    ...(row.editedAt ? { edited: row.editedAt } : {}),
    ...(reactions ? { reactions } : {}),
    ...(forwarded ? { forwarded } : {}),
    ...(row.status === 'failed' && row.refused ? { failure: REFUSED_TEXT[row.refused] } : {})
  };
}

/**
 * A reply whose original is on this device shows the original's own author and snippet, not the
 * sender's claim (a peer must not put their own words in "You: …", nor other words in a message of
 * mine). One whose original is not here shows the quote as sent.
 */
export async function withStoredQuotes(db: CinderDB, vault: Vault, peerId: string, me: string, views: MessageView[]): Promise<MessageView[]> {
  const quoted = views.filter((v) => v.quote);
  if (!quoted.length) return views;
  const onPage = new Map(views.map((v) => [v.id, v]));
  const originals = await db.messages.bulkGet(quoted.map((v) => v.quote!.id));
  for (const [i, v] of quoted.entries()) {
    const row = originals[i];
    if (row?.peerId !== peerId) continue;
    const original = onPage.get(row.id) ?? (await vault.open<Body>(msgPlace(row.id), row.box));
    v.quote = { ...v.quote!, snippet: quoteSnippet(original, original.media, timedMedia(original.media)), mine: row.senderId === me };
  }
  return views;
}

const outboxOf = async (db: CinderDB, peerId: string) =>
  (await db.messages.where('[peerId+seq]').equals([peerId, 0]).toArray()).sort((a, b) => a.createdAt - b.createdAt);

/**
 * The stored messages just after `afterSeq`, oldest first; when they reach the newest one, the outbox's
 * messages (seq 0) follow and `hasNewer` is false.
 */
export async function localPageAfter(db: CinderDB, peerId: string, afterSeq: number, limit: number) {
  const rows = await db.messages
    .where('[peerId+seq]')
    .between([peerId, afterSeq], [peerId, Dexie.maxKey], false, true)
    .limit(limit + 1)
    .toArray();
  const hasNewer = rows.length > limit;
  const stored = hasNewer ? rows.slice(0, limit) : rows;
  return { stored, pending: hasNewer ? [] : await outboxOf(db, peerId), hasNewer };
}

/** Ids of the stored messages with fromSeq ≤ seq ≤ toSeq, from the index alone (nothing is read or decrypted). */
export async function storedIds(db: CinderDB, peerId: string, fromSeq: number, toSeq: number, limit = 1000): Promise<string[]> {
  return (await db.messages.where('[peerId+seq]').between([peerId, fromSeq], [peerId, toSeq], true, true).limit(limit).primaryKeys()) as string[];
}

/** A page of stored history, oldest first; outbox messages (seq 0) come after the newest page. */
export async function localPage(db: CinderDB, peerId: string, beforeSeq: number | undefined, limit: number) {
  const upper = beforeSeq === undefined ? Dexie.maxKey : beforeSeq;
  const stored = await db.messages.where('[peerId+seq]').between([peerId, 1], [peerId, upper], true, false).reverse().limit(limit).toArray();
  stored.reverse();
  const pending = beforeSeq === undefined ? await outboxOf(db, peerId) : [];
  return { stored, pending };
}
