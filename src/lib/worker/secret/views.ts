/**
 * Reads secret chats for the pages: plain view objects, decrypted from the vault on demand.
 */
import { fromB64u } from '$lib/api/b64';
import { quoteSnippet } from '$lib/api/quote-snippet';
import { withoutMarkers } from '$lib/api/rich-text';
import { Dexie } from 'dexie';
import type { CinderDB, PeerProfile, SecretChatRow, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { fingerprintEmoji } from '$lib/verify/emoji';
import {
  quoteView,
  type ChatView,
  type KeyEmojiView,
  type KeyView,
  type SecretChatView,
  type SecretCursor,
  type SecretFailureView,
  type SecretMessageView
} from '../protocol';
import type { SecretBody } from './payload';
import { readSession } from './ratchet';
import { NewerStateError, SecretError } from './errors';
import { secretMsgPlace, type SecretState } from './state';
import { openState, wipeState } from './stored';
import { reactionsView } from './react';
import { settingsView } from '../chat-settings';

const SERVICE_TEXT: Record<NonNullable<SecretBody['service']>, string> = {
  established: 'Secret chat established',
  ttl: 'Self-destruct timer changed',
  screenshot: 'Screenshot taken',
  cancelled: 'Secret chat cancelled',
  cleared: 'History cleared',
  account_deleted: 'Account deleted'
};

/** The chat list's preview of a message of a newer version (unsupported.ts); the chat shows a placeholder. */
const UNSUPPORTED_TEXT = 'Unsupported message';

/** The chat list's preview of a chat whose state a newer version wrote (stored.ts, parked.ts). */
const NEEDS_UPDATE_TEXT = 'Update Cinder to open this chat';

/** What the chat list says of a failed handshake (the chat screen says what to do). */
const FAILURE_TEXT: Record<SecretFailureView, (peer: string) => string> = {
  refused: (peer) => `${peer}'s device refused this secret chat`,
  unsupported: (peer) => `${peer}'s app cannot take this secret chat`,
  gone: (peer) => `None of ${peer}'s devices can take this secret chat`,
  blocked: (peer) => `${peer} blocked you: this secret chat cannot start`
};

/**
 * The key's first two emoji, as the key screen starts: none before the key exists. Two, not one: with
 * 256 emoji, two chats started in the same minute would look alike once in 256 times; with two, once
 * in 65,536.
 */
function keyEmoji(fingerprint: string | null): KeyEmojiView | undefined {
  if (!fingerprint) return undefined;
  const first = fingerprintEmoji(fromB64u(fingerprint)).slice(0, 2);
  return first.length ? { emoji: first.map((x) => x.e).join(''), name: first.map((x) => x.name).join(', ') } : undefined;
}

/** The chat's clear fields from its sealed state (the keys are wiped at once), or that a newer version wrote it. */
async function clearFields(vault: Vault, row: SecretChatRow): Promise<{ key?: KeyEmojiView; needsUpdate?: true }> {
  if (row.status === 'failed') return {};
  try {
    const { state } = await openState(vault, row.id, row.box);
    try {
      return row.status === 'waiting' ? {} : { key: keyEmoji(state.fingerprint) };
    } finally {
      wipeState(state);
    }
  } catch (e) {
    return e instanceof NewerStateError ? { needsUpdate: true } : {};
  }
}

const byChat = (db: CinderDB, chatId: string) => db.secretMessages.where('[chatId+at]').between([chatId, Dexie.minKey], [chatId, Dexie.maxKey]);

export async function secretMessageView(vault: Vault, row: SecretMessageRow): Promise<SecretMessageView> {
  const body = await vault.open<SecretBody>(secretMsgPlace(row.id), row.box);
  const reactions = reactionsView(body);
  return {
    id: row.id,
    at: row.at,
    mine: row.mine,
    kind: body.kind,
    text: body.text,
    replyTo: body.replyTo,
    ttl: body.ttl,
    service: body.service,
    by: body.by,
    file: body.file
      ? {
          name: body.file.name,
          mime: body.file.mime,
          size: body.file.size,
          width: body.file.w,
          height: body.file.h,
          ...(body.file.voice ? { voice: body.file.voice } : {})
        }
      : null,
    ticks: row.mine ? row.status : 'sent',
    deadline: row.deadline ?? null,
    quote: quoteView(body.replyTo, body.quote, row.mine),
    ...(body.edited ? { edited: body.edited } : {}),
    ...(reactions ? { reactions } : {})
  };
}

/** The peer with the photo version a cloud chat with them last heard of (fresher than the handshake's profile). */
const withPhoto = async (db: CinderDB, peer: PeerProfile): Promise<PeerProfile> => {
  const photo = (await db.chats.get(peer.id))?.peer.photo;
  return photo === undefined ? peer : { ...peer, photo };
};

export async function secretChatList(db: CinderDB, vault: Vault): Promise<ChatView[]> {
  const out: ChatView[] = [];
  for (const row of await db.secretChats.toArray()) {
    const last = await byChat(db, row.id).last();
    let preview = row.status === 'waiting' ? `Waiting for ${row.peer.displayName} to get online…` : '';
    let previewMine = false;
    if (last && row.status !== 'waiting') {
      const v = await secretMessageView(vault, last);
      preview =
        v.kind === 'service'
          ? SERVICE_TEXT[v.service!]
          : v.kind === 'unsupported'
            ? UNSUPPORTED_TEXT
            : withoutMarkers(v.text) || (v.file ? (v.file.voice ? 'Voice message' : v.file.mime.startsWith('image/') ? 'Photo' : 'File') : '');
      previewMine = v.mine && v.kind === 'text';
    }
    if (row.status === 'cancelled') preview = preview === SERVICE_TEXT.account_deleted ? 'Account deleted · secret chat ended' : 'Secret chat cancelled';
    if (row.status === 'failed') preview = (FAILURE_TEXT[row.failure ?? 'gone'] ?? FAILURE_TEXT.gone)(row.peer.displayName);
    const { key, needsUpdate } = await clearFields(vault, row);
    if (needsUpdate) preview = NEEDS_UPDATE_TEXT;
    const unread = row.status === 'active' ? await db.secretMessages.where('[chatId+unread]').equals([row.id, 1]).count() : 0;
    out.push({
      kind: 'secret',
      id: row.id,
      status: row.status,
      peer: await withPhoto(db, row.peer),
      preview,
      previewMine,
      lastAt: row.lastAt,
      unread,
      incoming: row.role === 'acceptor',
      createdAt: row.createdAt,
      role: row.role,
      key,
      ...(row.status === 'failed' ? { failure: row.failure ?? 'gone' } : {}),
      ...(needsUpdate ? { needsUpdate } : {}),
      ...settingsView(row)
    });
  }
  return out;
}

export async function secretChatView(db: CinderDB, vault: Vault, id: string): Promise<SecretChatView> {
  const row = await db.secretChats.get(id);
  if (!row) throw new SecretError('not_found', 'This secret chat does not exist on this device');
  const base = {
    id,
    peer: await withPhoto(db, row.peer),
    role: row.role,
    status: row.status,
    cancelledBy: row.cancelledBy,
    ...(row.status === 'failed' ? { failure: row.failure ?? 'gone' } : {}),
    createdAt: row.createdAt
  };
  let state: SecretState;
  try {
    ({ state } = await openState(vault, id, row.box));
  } catch (e) {
    if (!(e instanceof NewerStateError)) throw e;
    // Written by a newer version: nothing of it is known here but that (the page asks to update).
    return { ...base, ttl: 0, verifiedByMe: false, verifiedByPeer: false, keyChanged: false, newDevice: false, needsUpdate: true };
  }
  const key = row.status === 'waiting' || row.status === 'failed' ? undefined : keyEmoji(state.fingerprint);
  wipeState(state); // only its clear fields are shown
  return {
    ...base,
    ...(key ? { key } : {}),
    ttl: state.ttl,
    verifiedByMe: state.verifiedByMe,
    // Until I verified the key, a MITM could have sent the peer's "verified": only an authenticated channel's counts.
    verifiedByPeer: state.verifiedByMe && state.verifiedByPeer,
    keyChanged: state.keyChanged,
    newDevice: state.newDevice
  };
}

export interface SecretPageQuery {
  before?: SecretCursor;
  after?: SecretCursor;
  from?: SecretCursor;
  limit: number;
}

const isBefore = (r: SecretMessageRow, c: SecretCursor) => r.at < c.at || (r.at === c.at && r.id < c.id);

/**
 * One page of a chat's messages in display order. The [chatId+at] index orders equal `at` by id (the
 * primary key), so (at, id) is a total order that a cursor can page through in both directions.
 */
export async function secretMessages(db: CinderDB, vault: Vault, id: string, q: SecretPageQuery) {
  const { before, after, from, limit } = q;
  let rows: SecretMessageRow[];
  let hasMore: boolean;
  let hasNewer: boolean;
  if (after || from) {
    const c = (after ?? from)!;
    const got = await db.secretMessages
      .where('[chatId+at]')
      .between([id, c.at], [id, Dexie.maxKey])
      .filter((r) => (after ? !isBefore(r, c) && r.id !== c.id : !isBefore(r, c)))
      .limit(limit + 1)
      .toArray();
    hasNewer = got.length > limit;
    rows = got.slice(0, limit);
    // After a message: that one at least is older. From a message: is anything before it?
    hasMore =
      !!after ||
      (await db.secretMessages
        .where('[chatId+at]')
        .between([id, Dexie.minKey], [id, c.at], true, true)
        .filter((r) => isBefore(r, c))
        .first()) !== undefined;
  } else {
    const range = before ? db.secretMessages.where('[chatId+at]').between([id, Dexie.minKey], [id, before.at], true, true) : byChat(db, id);
    const got = await range
      .reverse()
      .filter((r) => !before || isBefore(r, before))
      .limit(limit + 1)
      .toArray();
    hasMore = got.length > limit;
    rows = got.slice(0, limit).reverse();
    hasNewer = before !== undefined;
  }
  const messages = await Promise.all(rows.map((r) => secretMessageView(vault, r)));
  return { messages: await withGoneQuotes(db, vault, id, messages), hasMore, hasNewer };
}

/** These rows of a chat (an event named them), as secretMessages shows them; the ones gone are left out. */
export async function secretRows(db: CinderDB, vault: Vault, id: string, ids: string[]): Promise<SecretMessageView[]> {
  const rows = (await db.secretMessages.bulkGet(ids)).filter((r): r is SecretMessageRow => r?.chatId === id);
  return withGoneQuotes(db, vault, id, await Promise.all(rows.map((r) => secretMessageView(vault, r))));
}

/**
 * A reply whose original is gone here (deleted, self-destructed, cleared) shows "Deleted message"
 * instead of its snippet: what the peer deleted or let expire is not kept on screen by a quote. One
 * whose original is here shows the original's own author and snippet, not the sender's claim (a peer
 * must not put their own words in "You: …", nor other words in a message of mine).
 */
async function withGoneQuotes(db: CinderDB, vault: Vault, chatId: string, views: SecretMessageView[]): Promise<SecretMessageView[]> {
  const quoted = views.filter((v) => v.quote);
  if (!quoted.length) return views;
  const onPage = new Map(views.map((v) => [v.id, v]));
  const originals = await db.secretMessages.bulkGet(quoted.map((v) => v.quote!.id));
  for (const [i, v] of quoted.entries()) {
    const row = originals[i];
    if (row?.chatId !== chatId) {
      v.quote = { ...v.quote!, snippet: 'Deleted message', gone: true };
      continue;
    }
    const original = onPage.get(row.id) ?? (await secretMessageView(vault, row));
    v.quote = { ...v.quote!, snippet: quoteSnippet(original, original.file, original.ttl > 0), mine: original.mine };
  }
  return views;
}

export async function secretKey(db: CinderDB, vault: Vault, row: SecretChatRow | undefined): Promise<KeyView> {
  if (!row) throw new SecretError('not_found', 'This secret chat does not exist on this device');
  const { state } = await openState(vault, row.id, row.box);
  try {
    if (!state.fingerprint || !state.session) throw new SecretError('not_active', 'The key exists once the secret chat is established');
    const fingerprint = state.fingerprint;
    return readSession(state.session, (session) => ({
      fingerprint: fromB64u(fingerprint),
      myIdentity: session.localIdentity.signPub.slice(),
      peerIdentity: session.remoteIdentity.signPub.slice()
    }));
  } finally {
    wipeState(state);
  }
}
