/**
 * Cloud messages as the wire shows them (./cloud.ts): their bodies sealed and opened at rest, their
 * attachments, reactions and forwarded origins, always from one reader's point of view.
 */
import { isReaction } from '../api/limits';
import type { ReplyQuote } from '../api/quote';
import type { CloudMedia, CloudMessage, CloudReaction, ForwardedFrom, PublicUser } from '../api/wire';
import type { AtRest } from './atrest';
import { openMediaMeta } from './cloud-media';
import type { MessageRow, Store, UserRow } from './store/types';

/** A deleted account shows as "Deleted account", no username (its tombstone's stays private), no photo. `photo` false: left out. */
export const publicUser = (u: UserRow, photo = true): PublicUser =>
  u.deletedAt != null
    ? { id: u.id, username: '', displayName: u.displayName, deleted: true, ...(photo ? { photo: null } : {}) }
    : { id: u.id, username: u.username, displayName: u.displayName, ...(photo ? { photo: u.photo ?? null } : {}) };

const messageAad = (id: string) => `msg:${id}`;
export const reactionAad = (id: string, userId: string) => `react:${id}:${userId}`;

export interface MessageContent {
  text: string;
  replyTo: string | null;
  /** What a reply quotes of `replyTo`, sealed at rest with the text (absent in older rows). */
  quote?: ReplyQuote;
  /** The attached cloud media (its row holds the metadata and the timer). */
  mediaId?: string | null;
  /** A forwarded copy's first origin, written by the relay (./cloud-forward.ts); sealed with the text. */
  forwardedFrom?: { userId: string; createdAt: number };
}

export function createMessageWire(store: Store, atRest: AtRest) {
  const seal = (id: string, content: MessageContent) => atRest.seal(Buffer.from(JSON.stringify(content), 'utf8'), messageAad(id));

  const open = (m: MessageRow): MessageContent => JSON.parse(atRest.open(m.body, messageAad(m.id)).toString('utf8')) as MessageContent;

  /** The wire form of an attachment, from its row; null when it is gone. */
  const mediaWire = async (id: string): Promise<CloudMedia | null> => {
    const row = await store.getCloudMedia(id);
    if (!row) return null;
    const { mime, name, voice, width, height } = openMediaMeta(atRest, row);
    return {
      id: row.id,
      mime,
      name,
      size: row.size,
      ttl: row.ttl,
      openedAt: row.openedAt,
      deadline: row.deadline,
      ...(voice ? { voice } : {}),
      ...(width && height ? { width, height } : {})
    };
  };

  /** The reactions to these messages, by message id (oldest first; each emoji opened from its sealed column). */
  const reactionsOf = async (ids: string[]): Promise<Map<string, CloudReaction[]>> => {
    const out = new Map<string, CloudReaction[]>();
    const rows = (await store.listReactions([...new Set(ids)])).sort((a, b) => a.at - b.at);
    for (const r of rows) {
      const emoji = atRest.open(r.emoji, reactionAad(r.messageId, r.userId)).toString('utf8');
      // Only a reaction this version knows (the list is part of the contract).
      if (isReaction(emoji)) out.set(r.messageId, [...(out.get(r.messageId) ?? []), { userId: r.userId, emoji }]);
    }
    return out;
  };

  /** A forwarded copy's origin on the wire, with its author's profile now (the relay's word, not the forwarder's). */
  const forwardedWire = async (f: NonNullable<MessageContent['forwardedFrom']>, getUser: (id: string) => Promise<UserRow | null>): Promise<ForwardedFrom> => {
    const author = await getUser(f.userId);
    return { userId: f.userId, createdAt: f.createdAt, ...(author ? { user: publicUser(author, false) } : {}) };
  };

  /**
   * `reactions`: prefetched for a page (reactionsOf); without it the message's own are read. `getUser`:
   * a page's cached look-up (userCache) for a forwarded copy's author.
   */
  const toWire = async (
    m: MessageRow,
    peerId: string,
    reactions?: Map<string, CloudReaction[]>,
    getUser: (id: string) => Promise<UserRow | null> = (id) => store.getUser(id)
  ): Promise<CloudMessage> => {
    const { text, replyTo, quote, mediaId, forwardedFrom } = open(m);
    const mine = (reactions ?? (await reactionsOf([m.id]))).get(m.id);
    return {
      id: m.id,
      peerId,
      seq: m.seq,
      senderId: m.senderId,
      senderDeviceId: m.senderDeviceId,
      text,
      replyTo,
      ...(replyTo && quote ? { quote } : {}),
      createdAt: m.createdAt,
      media: mediaId ? await mediaWire(mediaId) : null,
      ...(m.editedAt != null ? { editedAt: m.editedAt } : {}),
      ...(mine?.length ? { reactions: mine } : {}),
      ...(forwardedFrom ? { forwardedFrom: await forwardedWire(forwardedFrom, getUser) } : {})
    };
  };

  return { seal, open, mediaWire, reactionsOf, toWire };
}
