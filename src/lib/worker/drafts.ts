/**
 * Drafts: what the user typed in a chat's composer and has not sent (and the message it replies to),
 * one per chat, kept on this device only: never sent to the relay, for cloud chats too. The page saves
 * it as the user types; it is sealed by the vault like a message text (places.draft), re-keyed with
 * the passcode, and gone with the database at logout, revocation and account deletion.
 *
 * A secret chat's draft is destroyed with the chat: the commit that deletes, cancels or fails it
 * (secret/chats.ts) deletes the draft in the same transaction, and a draft is only stored while its
 * chat is active (checked in the transaction that stores it), so a save racing the chat's end cannot
 * bring one back. A cloud chat's draft is stored only while its chat is (same transaction): after a
 * wipe (logout, this device revoked), a screen still open cannot store its text in the new, empty
 * database for whoever signs in next. A cleared history keeps the draft: it is not part of the history.
 *
 * Sending a text (or a file with a caption) deletes the chat's draft in the transaction that stores the
 * message, ordered against the saves still on their way (./draft-order.ts).
 */
import { withoutMarkers } from '$lib/api/rich-text';
import type { CinderDB } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { noteSaved, saveSuperseded, saveTicket } from './draft-order';
import type { ChatView, WorkerEvent } from './protocol';

export interface Draft {
  text: string;
  /** The message the draft replies to (its id; no content of it is kept here). */
  replyTo: string | null;
  /** When it was last changed (ms): the chat list sorts by it when it is newer than the last message. */
  at: number;
}

export const cloudDraftId = (peerId: string) => `cloud:${peerId}`;
export const secretDraftId = (chatId: string) => `secret:${chatId}`;

type DraftChat = { kind: 'cloud' | 'secret'; chat: string };
/** The chat a draft id names (the inverse of cloudDraftId and secretDraftId), or null for another id. */
export function draftChat(id: string): DraftChat | null {
  const at = id.indexOf(':');
  const kind = id.slice(0, at);
  return kind === 'cloud' || kind === 'secret' ? { kind, chat: id.slice(at + 1) } : null;
}

/** Draft `id` was stored or deleted: the event an open chat screen (of any tab) reads it again on. */
export function draftEvent(id: string): WorkerEvent[] {
  const c = draftChat(id);
  return c ? [{ type: 'draft', ...c }] : [];
}

/** The chat list shows at most this many characters of a draft. */
export const DRAFT_PREVIEW_MAX = 100;

/** A stored draft as it opened (authenticated by the vault), or null when its shape is not a draft's. */
function asDraft(v: unknown): Draft | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Record<string, unknown>;
  if (typeof d.text !== 'string' || typeof d.at !== 'number') return null;
  return { text: d.text, replyTo: typeof d.replyTo === 'string' ? d.replyTo : null, at: d.at };
}

export async function readDraft(db: CinderDB, vault: Vault, id: string): Promise<Draft | null> {
  const row = await db.drafts.get(id);
  return row ? asDraft(await vault.open(places.draft(id), row.box)) : null;
}

/**
 * Stores chat `id`'s draft, or deletes it when `text` is blank. `allowed` runs inside the transaction
 * (over `drafts` and `scope`): false leaves nothing stored (a secret chat that ended meanwhile).
 * Resolves to whether the stored drafts changed.
 */
export async function writeDraft(
  db: CinderDB,
  vault: Vault,
  id: string,
  draft: { text: string; replyTo: string | null },
  scope: 'secretChats' | 'chats' | null = null,
  allowed: () => Promise<boolean> = async () => true
): Promise<boolean> {
  const ticket = saveTicket();
  const blank = !draft.text.trim();
  // Sealed before the transaction: WebCrypto inside it would let IndexedDB commit it early.
  const box = blank ? null : await vault.seal<Draft>(places.draft(id), { text: draft.text, replyTo: draft.replyTo, at: Date.now() });
  let undo = () => {};
  try {
    return await db.transaction('rw', scope ? [db.drafts, db.table(scope)] : [db.drafts], async () => {
      // A send the page issued after this save deleted the draft: this older text must not come back.
      if (saveSuperseded(id, ticket)) return false;
      const had = !!(await db.drafts.get(id));
      if (!box || !(await allowed())) {
        await db.drafts.delete(id);
        undo = noteSaved(id, null);
        return had;
      }
      await db.drafts.put({ id, box });
      undo = noteSaved(id, ticket);
      return true;
    });
  } catch (e) {
    undo();
    throw e;
  }
}

/** Every stored draft by id; one that does not open (or is malformed) is left out, not the whole list. */
async function allDrafts(db: CinderDB, vault: Vault): Promise<Map<string, Draft>> {
  const rows = await db.drafts.toArray();
  const opened = await Promise.all(rows.map((row) => vault.open(places.draft(row.id), row.box).then(asDraft, () => null)));
  return new Map(rows.flatMap((row, i) => (opened[i] ? [[row.id, opened[i]] as const] : [])));
}

/** A draft's line in the chat list: its first lines joined as shown (no formatting markers), cut at DRAFT_PREVIEW_MAX characters. */
export function draftPreview(text: string): string {
  const chars = [...withoutMarkers(text).replace(/\s+/g, ' ').trim()];
  return chars.length > DRAFT_PREVIEW_MAX ? chars.slice(0, DRAFT_PREVIEW_MAX - 1).join('') + '…' : chars.join('');
}

/**
 * The chat list with its drafts: a chat with one shows it (`draft`) and sorts by the draft's time when
 * that is newer than its last message. A cloud chat with a draft and no message yet is listed too.
 */
export async function withDrafts(db: CinderDB, vault: Vault, views: ChatView[]): Promise<ChatView[]> {
  if (!(await db.drafts.count())) return views;
  const drafts = await allDrafts(db, vault);
  const out = views.map((v) => {
    const d = drafts.get(v.kind === 'cloud' ? cloudDraftId(v.id) : secretDraftId(v.id));
    return d ? { ...v, draft: draftPreview(d.text), lastAt: Math.max(v.lastAt, d.at) } : v;
  });
  const listed = new Set(views.filter((v) => v.kind === 'cloud').map((v) => v.id));
  for (const [id, d] of drafts) {
    const of = draftChat(id);
    if (of?.kind !== 'cloud' || listed.has(of.chat)) continue;
    const chat = await db.chats.get(of.chat);
    if (chat) out.push({ kind: 'cloud', id: chat.peerId, peer: chat.peer, preview: '', previewMine: false, lastAt: d.at, unread: 0, draft: draftPreview(d.text) });
  }
  return out;
}
