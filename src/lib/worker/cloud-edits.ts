/**
 * A cloud message's edits from the update log ('edit': its new text, or its attachment's caption, and
 * when it was edited). The text lives in the message's sealed body (the attachment stays as it is), so
 * an edit is a body sealed again: prepared before the sync's transaction (sealing cannot run inside
 * one) from the body it replaces, and written in the transaction only if that body is still the
 * stored one. The newest edit wins: one not later than the
 * stored or arriving message's `editedAt` changes nothing.
 */
import type { CloudMessage, Update } from '$lib/api/wire';
import type { CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { msgPlace, type Body } from './cloud';

type Edit = Extract<Update, { kind: 'edit' }>;

export interface PreparedEdit {
  /** The row as it will be written. */
  row: MessageRow;
  /** The stored box it was made from (null: made from a message of the same batch). */
  was: Uint8Array | null;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The rows the batch's edits write, by message id: each from the batch's own message update when it has
 * one (`sealed`: as sealMessage stored it), else from the stored row. Edits of messages not here
 * (deleted, deleted for me, never synced) and older ones are left out.
 */
export async function prepareEdits(db: CinderDB, vault: Vault, updates: Update[], sealed: Map<string, MessageRow>): Promise<Map<string, PreparedEdit>> {
  const edits = new Map<string, Edit>();
  // Only the newest edit of each message matters.
  for (const u of updates) if (u.kind === 'edit' && u.editedAt > (edits.get(u.id)?.editedAt ?? 0)) edits.set(u.id, u);
  if (!edits.size) return new Map();
  const inBatch = new Map(updates.flatMap((u): [string, CloudMessage][] => (u.kind === 'message' ? [[u.message.id, u.message]] : [])));
  const ids = [...edits.keys()];
  const stored = await db.messages.bulkGet(ids);
  const out = new Map<string, PreparedEdit>();
  await Promise.all(
    ids.map(async (id, i) => {
      const e = edits.get(id)!;
      const base = sealed.get(id) ?? stored[i];
      if (!base || (base.editedAt ?? 0) >= e.editedAt || base.peerId !== e.peerId) return;
      const m = inBatch.get(id);
      const body: Body = m
        ? { text: m.text, replyTo: m.replyTo, media: m.media ?? null, ...(m.quote ? { quote: m.quote } : {}) }
        : await vault.open<Body>(msgPlace(id), base.box);
      const box = await vault.seal<Body>(msgPlace(id), { ...body, text: e.text });
      out.set(id, { row: { ...base, box, editedAt: e.editedAt }, was: sealed.has(id) ? null : base.box });
    })
  );
  return out;
}

/** Whether a prepared edit of a stored row may be written: the row is still the one it was made from. */
export const stillBase = (e: PreparedEdit, now: MessageRow | undefined): now is MessageRow => !!now && !!e.was && sameBytes(now.box, e.was);
