/**
 * The queue of cloud-chat actions taken on this device and not yet on the relay (`cloudActions`,
 * schema 14): an edit, a reaction, a pin of a message, a delete for everyone, a chat's pin, mute, archive and unread mark. Each is applied here
 * at once (./cloud-actions-local.ts) and sent after the outbox (./cloud-actions-flush.ts), as a send is.
 *
 * One row per thing acted on, so the queue holds what is still to say, not every tap: a newer edit,
 * reaction or pin/unpin of a message replaces the queued one, the settings of a chat merge into one
 * change, and a delete drops the queued edits, reactions and pins of the messages it deletes. What an action does is sealed
 * with the vault (an edit's text is private; the rest goes with it); every row read back is checked,
 * and one that is not what this version writes is dropped (storage is a trust boundary).
 */
import { z } from '$lib/api/zod';
import { ChatSettingsReq, DeleteCloudReq, EditCloudReq, PinCloudReq, ReactCloudReq } from '$lib/api/wire';
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB, CloudActionRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { withLock } from './locks';

/**
 * What an action does, as sealed in its row: the relay's request body, and what this device shows
 * meanwhile. Kinds are only ever added (a row an older version wrote must still read back).
 */
export const ActionBody = z.discriminatedUnion('kind', [
  /** `at`: when it was edited here (shown as "edited" until the relay's time comes back). */
  z.object({ kind: z.literal('edit'), req: EditCloudReq, at: z.number().check(z.int(), z.nonnegative()) }),
  z.object({ kind: z.literal('react'), req: ReactCloudReq }),
  /** `seqs`: the deleted messages' seqs, to read them back from the relay if it refuses. */
  z.object({ kind: z.literal('delete'), req: DeleteCloudReq, seqs: z.array(z.number().check(z.int(), z.positive())) }),
  z.object({ kind: z.literal('settings'), req: ChatSettingsReq }),
  /** A message pinned or unpinned for both members; `at`: when pinned here (the bar's order until the relay's pins come back). */
  z.object({ kind: z.literal('pin'), req: PinCloudReq, at: z.number().check(z.int(), z.nonnegative()) })
]);
export type ActionBody = z.infer<typeof ActionBody>;

/**
 * A queued action as read back and checked. `box` is the stored bytes: it is sent only if still those (see `dropSent`).
 * `refused`: the relay refused it and the user was told; it waits only for the relay's state to be read back.
 */
export interface QueuedAction {
  key: string;
  at: number;
  peerId: string;
  body: ActionBody;
  box: Uint8Array;
  refused: boolean;
}

const LOCK = 'cinder-cloud-actions';
const place = places.cloudAction;

/** The row key: what a newer action of the same kind replaces. */
export function actionKey(peerId: string, body: ActionBody): string {
  switch (body.kind) {
    case 'edit':
    case 'react':
    case 'pin':
      return `${body.kind}:${body.req.id}`;
    case 'settings':
      return `settings:${peerId}`;
    case 'delete':
      return `delete:${crypto.randomUUID()}`;
  }
}

/** Settings of one chat merged: the newer change wins field by field. */
const merged = (older: ActionBody | undefined, newer: Extract<ActionBody, { kind: 'settings' }>): ActionBody =>
  older?.kind === 'settings' ? { kind: 'settings', req: { ...older.req, ...newer.req } } : newer;

/** A stored row checked: its clear fields, then its sealed body (authenticated by the vault, then its shape). */
async function checked(vault: Vault, row: CloudActionRow): Promise<QueuedAction | string> {
  if (typeof row.key !== 'string' || typeof row.peerId !== 'string' || !Number.isFinite(row.at) || !(row.box instanceof Uint8Array)) return 'malformed row';
  if (row.refused !== undefined && row.refused !== true) return 'malformed row';
  let opened: unknown;
  try {
    opened = await vault.open<unknown>(place(row.key), row.box);
  } catch {
    return 'does not open';
  }
  const body = ActionBody.safeParse(opened);
  if (!body.success) return `malformed body (${body.error.issues.map((i) => i.path.join('.') || 'body').join(', ')})`;
  if (body.data.kind !== row.kind || (body.data.kind !== 'delete' && actionKey(row.peerId, body.data) !== row.key)) return 'names another action';
  return { key: row.key, at: row.at, peerId: row.peerId, body: body.data, box: row.box, refused: row.refused === true };
}

/** The queue in order (oldest first); rows that fail the checks are dropped and named in the console. */
export async function readActions(db: CinderDB, vault: Vault): Promise<QueuedAction[]> {
  const rows = await db.cloudActions.orderBy('at').toArray();
  const out: QueuedAction[] = [];
  const bad: CloudActionRow[] = [];
  for (const row of rows) {
    const a = await checked(vault, row);
    if (typeof a === 'string') {
      console.warn(`cinder: queued cloud action dropped (${a})`);
      bad.push(row);
    } else out.push(a);
  }
  if (bad.length) await dropUnchanged(db, bad);
  return out;
}

/** Deletes rows that are still the ones given (a newer action that replaced one meanwhile stays). */
async function dropUnchanged(db: CinderDB, rows: Pick<CloudActionRow, 'key' | 'box'>[]): Promise<void> {
  await db.transaction('rw', db.cloudActions, async () => {
    const now = await db.cloudActions.bulkGet(rows.map((r) => r.key));
    const gone = rows.filter((r, i) => now[i] && equalBytes(now[i]!.box, r.box)).map((r) => r.key);
    await db.cloudActions.bulkDelete(gone);
  });
}

/** An action done with (sent, or refused and put back): removed unless a newer one replaced it meanwhile. */
export const dropSent = (db: CinderDB, a: QueuedAction) => dropUnchanged(db, [a]);

/**
 * An action the relay refused for good, kept until its state is read back (a network drop may stop
 * that): marked so it is never sent again nor applied again. False when a newer one replaced it meanwhile.
 */
export function markRefused(db: CinderDB, a: QueuedAction): Promise<boolean> {
  return db.transaction('rw', db.cloudActions, async () => {
    const row = await db.cloudActions.get(a.key);
    if (!row || !equalBytes(row.box, a.box)) return false;
    await db.cloudActions.put({ ...row, refused: true });
    return true;
  });
}

/**
 * A chat's merged settings whose pin the relay refused (`too_many_pinned`: a pin alone is ever refused
 * so): the row rewritten to what else it changes (the mute, the archive), to send alone. Null when the pin was all
 * it changed, or a newer change replaced it meanwhile (that one goes next). Without the pin it cannot
 * be refused for the limit again, so this happens once.
 */
export async function withoutPin(db: CinderDB, vault: Vault, a: QueuedAction): Promise<QueuedAction | null> {
  if (a.body.kind !== 'settings' || a.body.req.pinned === undefined) return null;
  const { pinned: _, ...rest } = a.body.req;
  if (rest.mutedUntil === undefined && rest.archived === undefined && rest.markedUnread === undefined) return null;
  const body: ActionBody = { kind: 'settings', req: rest };
  const box = await vault.seal(place(a.key), body);
  const done = await db.transaction('rw', db.cloudActions, async () => {
    const row = await db.cloudActions.get(a.key);
    if (!row || !equalBytes(row.box, a.box)) return false;
    await db.cloudActions.put({ ...row, box });
    return true;
  });
  return done ? { ...a, body, box } : null;
}

/**
 * Queues an action (coalesced with what waits for the same thing; see the file's comment). One at a
 * time on the device, as a merge reads what it replaces.
 */
export function queueAction(db: CinderDB, vault: Vault, peerId: string, body: ActionBody): Promise<void> {
  return withLock(LOCK, async () => {
    const key = actionKey(peerId, body);
    let value = body;
    if (body.kind === 'settings') {
      const old = await db.cloudActions.get(key);
      const before = old ? await checked(vault, old) : undefined;
      // A refused change is not merged into the new one (it only waits for the relay's state to come back).
      value = merged(typeof before === 'object' && !before.refused ? before.body : undefined, body);
    }
    const row: CloudActionRow = { key, at: Date.now(), kind: body.kind, peerId, box: await vault.seal(place(key), value) };
    await db.transaction('rw', db.cloudActions, async () => {
      const old = await db.cloudActions.get(key);
      // Replacing keeps the queue position: the relay hears of the thing in the order it was first acted on.
      // (A refused one replaced: the new action is sent, and its answer or its own refusal says what holds.)
      if (old) row.at = old.at;
      await db.cloudActions.put(row);
      // What waits for the deleted messages is moot (the relay would refuse it: gone).
      if (body.kind === 'delete') await db.cloudActions.bulkDelete(body.req.ids.flatMap((id) => [`edit:${id}`, `react:${id}`, `pin:${id}`]));
    });
  });
}

/**
 * What waits for the given messages and chats, to apply again over what the relay's log brings
 * meanwhile. `peers`: chats whose row the log rewrote (settings, or pins: a `pin` update carries
 * all of a chat's pins, so every pin waiting in that chat goes again, and every delete, whose
 * messages' pins the relay still lists until it has it). A refused action is not applied again: what
 * the relay brings is what holds.
 */
export function pendingFor(actions: QueuedAction[], ids: ReadonlySet<string>, peers: ReadonlySet<string>): QueuedAction[] {
  return actions.filter((a) => {
    const b = a.body;
    if (a.refused) return false;
    if (b.kind === 'settings' || b.kind === 'pin') return peers.has(a.peerId);
    if (b.kind === 'delete') return peers.has(a.peerId) || b.req.ids.some((id) => ids.has(id));
    return ids.has(b.req.id);
  });
}
