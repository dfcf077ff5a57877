/**
 * A chat's draft saves ordered against its sends, in this worker. A send deletes the chat's draft in
 * the transaction that stores the sent message, so a tab closed right after a send (before the page's
 * blank save) cannot bring the sent text back as the draft. The worker runs calls side by side, and a
 * save seals its text before its transaction: a save the page issued before a send could commit after
 * the send's deletion, and one issued after it could commit before. So each call takes a ticket when it
 * arrives (in the page's order): a save older than the chat's last send stores nothing, and a send
 * deletes only a draft stored by a save older than itself.
 */
import type { CinderDB } from '$lib/store/db';

let clock = 0;
/** Draft id → the ticket of the chat's last send. */
const lastSend = new Map<string, number>();
/** Draft id → the ticket of the save whose draft is stored (none known: stored before this worker ran). */
const storedBy = new Map<string, number>();
/** The tickets of sends whose transaction deleted a stored draft, until their handler tells the other tabs. */
const deletedBy = new Set<number>();

/** A save of draft `id` arrives: its ticket (take it before any await). */
export const saveTicket = (): number => ++clock;

/** A message of draft `id`'s chat is sent: its ticket (take it before any await). */
export function sendTicket(id: string): number {
  const t = ++clock;
  lastSend.set(id, t);
  return t;
}

/** Inside the save's transaction: whether a send issued after this save already replaced the draft. */
export const saveSuperseded = (id: string, ticket: number): boolean => (lastSend.get(id) ?? 0) > ticket;

/**
 * Inside the save's transaction: it stored (`ticket`) or deleted (null) draft `id`. Returns the undo,
 * for a transaction that then fails.
 */
export function noteSaved(id: string, ticket: number | null): () => void {
  const before = storedBy.get(id);
  const set = (t: number | undefined) => (t === undefined ? storedBy.delete(id) : storedBy.set(id, t));
  set(ticket ?? undefined);
  return () => set(before);
}

/** Inside the send's transaction (over `drafts`): deletes draft `id` unless a save issued after the send stored it. */
export async function deleteSentDraft(db: CinderDB, id: string, ticket: number): Promise<void> {
  if ((storedBy.get(id) ?? 0) > ticket) return;
  if (await db.drafts.where(':id').equals(id).delete()) deletedBy.add(ticket);
  storedBy.delete(id);
}

/**
 * After the send with `ticket` (done or failed): whether it deleted a stored draft, so the worker says
 * so (an event; one for a transaction that then failed only makes open screens read the draft again).
 */
export const sentDraftDeleted = (ticket: number | undefined): boolean => ticket !== undefined && deletedBy.delete(ticket);
