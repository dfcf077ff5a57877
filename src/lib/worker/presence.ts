/**
 * "Online" / "last seen" of the people I chat with (docs/api.md "Last seen"), kept in memory only: from
 * the profiles the relay serves (`GET /api/users/:id`, asked for when a screen wants one not known) and
 * the relay's ephemeral `presence` frames (validated as every frame, `ServerFrame`). A new socket
 * (`hello`: frames may have been missed) or a change of my own setting (`privacy`: reciprocity changes
 * what I may see) forgets them all; each forgotten user gets a `presence` event, so an open screen asks
 * again, and the setting a `privacy` event (Settings → Privacy follows it; on `hello`, without the
 * setting: ask again). A `presence` frame
 * without `lastSeen` (a deleted account) forgets that user. Typing notices pass through here too: both are ephemeral frames.
 * The chat list asks for all its peers at once (`lastSeenOfMany`: `POST /api/presence`, 100 a request).
 */
import { z } from '$lib/api/zod';
import { PRESENCE_BATCH_MAX, PresenceRes, PublicUser, type LastSeen, type ServerFrame } from '$lib/api/wire';
import { request } from './net';
import type { WorkerEvent } from './protocol';

const known = new Map<string, LastSeen>();
const UserRes = z.object({ user: PublicUser });

/** Forgets everything known; each forgotten user's screen is told to ask again. */
function forget(emit: (e: WorkerEvent) => void): void {
  const users = [...known.keys()];
  known.clear();
  for (const userId of users) emit({ type: 'presence', userId });
}

/** Handles an ephemeral frame (typing, presence, privacy); true when it was one. `hello` is seen and passed on. */
export function ephemeralFrame(f: ServerFrame, emit: (e: WorkerEvent) => void): boolean {
  switch (f.t) {
    case 'typing':
      emit({ type: 'typing', peerId: f.peerId });
      return true;
    case 'presence':
      // Absent: none shown any more (a deleted account); the screen's ask then gets the relay's answer.
      if (f.lastSeen) known.set(f.userId, f.lastSeen);
      else known.delete(f.userId);
      emit({ type: 'presence', userId: f.userId });
      return true;
    case 'privacy':
      forget(emit);
      // An open Settings page shows the setting as now (changed on this device or another).
      emit({ type: 'privacy', lastSeen: f.lastSeen });
      return true;
    case 'hello':
      forget(emit);
      // A privacy frame may have been missed too: an open Settings page asks again.
      emit({ type: 'privacy' });
      return false;
    default:
      return false;
  }
}

/** The user's last seen as known, else as the relay serves it now (null: not known, offline, or none shown). */
export async function lastSeenOf(userId: string): Promise<LastSeen | null> {
  const have = known.get(userId);
  if (have) return have;
  let user: PublicUser;
  try {
    user = (await request('GET', `/api/users/${encodeURIComponent(userId)}`, undefined, UserRes)).user;
  } catch {
    return null; // offline, or no such user: the screen shows none
  }
  // A frame that came meanwhile is newer than this answer.
  const now = known.get(userId) ?? user.lastSeen;
  if (now) known.set(userId, now);
  return now ?? null;
}

/**
 * Several users' last seen as known, the others asked of the relay in batches; users the relay says
 * nothing of (deleted, unknown) and batches that failed (offline) are left out.
 */
export async function lastSeenOfMany(userIds: readonly string[]): Promise<Record<string, LastSeen>> {
  const out: Record<string, LastSeen> = {};
  const missing: string[] = [];
  for (const id of new Set(userIds)) {
    const have = known.get(id);
    if (have) out[id] = have;
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += PRESENCE_BATCH_MAX) {
    let res: PresenceRes;
    try {
      res = await request('POST', '/api/presence', { userIds: missing.slice(i, i + PRESENCE_BATCH_MAX) }, PresenceRes);
    } catch {
      continue; // offline or refused: those rows show nothing until asked again
    }
    for (const { userId, lastSeen } of res.users) {
      // A frame that came meanwhile is newer than this answer.
      const now = known.get(userId) ?? lastSeen;
      known.set(userId, now);
      out[userId] = now;
    }
  }
  return out;
}
