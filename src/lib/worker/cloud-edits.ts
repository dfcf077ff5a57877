/**
 * A cloud message's rewrites from the update log: 'edit' (its new text, or its attachment's caption,
 * and when it was edited) and 'react' (its reactions as the relay served them). Both live in the
 * message's sealed body (an attachment stays as it is), so a rewrite is a body sealed again: prepared
 * before the sync's transaction (sealing cannot run inside one) from the body it replaces, and written
 * in the transaction only if that body is still the stored one. The newest edit wins: one not later
 * than the stored or arriving message's `editedAt` changes nothing. A batch's last 'react' of a
 * message is its reactions now (served at read time).
 */
import type { CloudMessage, Update } from '$lib/api/wire';
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB, MessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { bodyOf, msgPlace, type Body } from './cloud';

type Edit = Extract<Update, { kind: 'edit' }>;
type React = Extract<Update, { kind: 'react' }>;

export interface PreparedEdit {
  /** The row as it will be written. */
  row: MessageRow;
  /** The stored box it was made from (null: made from a message of the same batch). */
  was: Uint8Array | null;
}

/**
 * The rows the batch's edits and reactions write, by message id: each from the batch's own message
 * update when it has one (`sealed`: as sealMessage stored it), else from the stored row. Rewrites of
 * messages not here (deleted, deleted for me, never synced) and older edits are left out.
 */
export async function prepareEdits(db: CinderDB, vault: Vault, updates: Update[], sealed: Map<string, MessageRow>): Promise<Map<string, PreparedEdit>> {
  const edits = new Map<string, Edit>();
  const reacts = new Map<string, React>();
  // Only the newest edit of each message matters, and its last reactions.
  for (const u of updates) {
    if (u.kind === 'edit' && u.editedAt > (edits.get(u.id)?.editedAt ?? 0)) edits.set(u.id, u);
    else if (u.kind === 'react') reacts.set(u.id, u);
  }
  if (!edits.size && !reacts.size) return new Map();
  const inBatch = new Map(updates.flatMap((u): [string, CloudMessage][] => (u.kind === 'message' ? [[u.message.id, u.message]] : [])));
  const ids = [...new Set([...edits.keys(), ...reacts.keys()])];
  const stored = await db.messages.bulkGet(ids);
  const out = new Map<string, PreparedEdit>();
  await Promise.all(
    ids.map(async (id, i) => {
      const r = reacts.get(id);
      let e = edits.get(id);
      const base = sealed.get(id) ?? stored[i];
      if (!base || base.peerId !== (e ?? r)!.peerId) return;
      // An edit made here and not back yet carries this device's time: the relay's one replaces it.
      if (e && !base.editedHere && (base.editedAt ?? 0) >= e.editedAt) e = undefined;
      if (!e && !r) return;
      const m = inBatch.get(id);
      const body: Body = m ? bodyOf(m) : await vault.open<Body>(msgPlace(id), base.box);
      const { reactions: _, ...rest } = body;
      const reactions = r ? r.reactions : body.reactions;
      const next: Body = { ...rest, ...(e ? { text: e.text } : {}), ...(reactions?.length ? { reactions } : {}) };
      const box = await vault.seal<Body>(msgPlace(id), next);
      const { editedHere: _here, ...kept } = base;
      out.set(id, { row: e ? { ...kept, box, editedAt: e.editedAt } : { ...base, box }, was: sealed.has(id) ? null : base.box });
    })
  );
  return out;
}

/** Whether a prepared edit of a stored row may be written: the row is still the one it was made from. */
export const stillBase = (e: PreparedEdit, now: MessageRow | undefined): now is MessageRow => !!now && !!e.was && equalBytes(now.box, e.was);
