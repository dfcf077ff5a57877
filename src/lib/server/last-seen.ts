/**
 * "Online" and "last seen" (docs/api.md "Last seen"). The relay already knows who holds a socket
 * (./presence.ts); what a peer may learn of it is the user's choice (`last_seen_privacy`, migration 19):
 * everybody, people they share a cloud chat with (the default) or nobody. Otherwise, and to a viewer who
 * hides their own (reciprocity, as in Telegram), only an approximate form; to a viewer the user blocked,
 * "a long time ago"; of a deleted account, nothing. Exact times are rounded down to the minute, so no
 * sub-minute socket timing leaks.
 *
 * Transitions are user-level across the deployment (the presence decides them atomically); each one
 * stores `last_seen_at` and tells the peers allowed to see it who hold a socket, with an ephemeral
 * `presence` frame through the bus (never logged). Nothing happens per message. A block or unblock tells
 * the one concerned at once what they now see; a deleted account tells its partners it shows none.
 */
import type { LastSeen, LastSeenPrivacy } from '../api/wire';
import type { Bus } from './bus';
import type { Logger } from './log';
import type { Presence } from './presence';
import { chatOf } from './chat-of';
import type { Store, UserRow } from './store/types';

const MIN = 60_000;
const DAY = 86_400_000;
/** "recently" up to 3 days, then "within a week", "within a month", "a long time ago". */
export const APPROX_LIMITS = { recently: 3 * DAY, week: 7 * DAY, month: 30 * DAY } as const;

export const roundToMinute = (ms: number): number => Math.floor(ms / MIN) * MIN;

/** The approximate form of a last seen at `at` (null: never), as of `now`. */
export function approxOf(at: number | null | undefined, now: number): Extract<LastSeen, { approx: string }> {
  if (at == null) return { approx: 'long' };
  const ago = now - at;
  return { approx: ago <= APPROX_LIMITS.recently ? 'recently' : ago <= APPROX_LIMITS.week ? 'week' : ago <= APPROX_LIMITS.month ? 'month' : 'long' };
}

export const privacyOf = (u: Pick<UserRow, 'lastSeenPrivacy'>): LastSeenPrivacy => u.lastSeenPrivacy ?? 'chats';
/** Reciprocity: a viewer hiding their own last seen (or with no account) sees only the approximate form of others'. */
const hides = (viewer: UserRow | null): boolean => !viewer || privacyOf(viewer) === 'nobody';

export interface LastSeenDeps {
  store: Store;
  presence: Presence;
  bus: Bus;
  log: Logger;
  now: () => number;
}

export type LastSeenService = ReturnType<typeof createLastSeen>;

export function createLastSeen({ store, presence, bus, log, now }: LastSeenDeps) {
  /** What a viewer sees of `target` once the facts are known (one rule for one profile, a list and a fan-out). */
  function decide(target: UserRow, f: { blockedViewer: boolean; online: boolean; viewerHides: boolean; shared: boolean }): LastSeen {
    if (f.blockedViewer) return { approx: 'long' };
    const theirs = privacyOf(target);
    const allowed = !f.viewerHides && (theirs === 'everybody' || (theirs === 'chats' && f.shared));
    if (!allowed) return approxOf(f.online ? now() : target.lastSeenAt, now());
    if (f.online) return { online: true };
    return target.lastSeenAt != null ? { at: roundToMinute(target.lastSeenAt) } : { approx: 'long' };
  }

  /**
   * What `viewerId` sees of `target` (fresh rows; undefined for myself and a deleted account).
   * `known` saves look-ups the caller already made.
   */
  async function view(viewerId: string, target: UserRow, known: { online?: boolean; shared?: boolean; viewer?: UserRow | null } = {}): Promise<LastSeen | undefined> {
    if (target.deletedAt != null || target.id === viewerId) return undefined;
    if ((await store.blockedBetween(target.id, viewerId)).aBlockedB) return { approx: 'long' };
    const online = known.online ?? (await presence.isUserOnline(target.id));
    const viewer = known.viewer !== undefined ? known.viewer : await store.getUser(viewerId);
    const theirs = privacyOf(target);
    // Whether they share a chat matters only under "my chats" (and is a query).
    const shared = theirs === 'chats' && (known.shared ?? !!(await chatOf(store, viewerId, target.id)));
    return decide(target, { blockedViewer: false, online, viewerHides: hides(viewer), shared });
  }

  /**
   * What `viewerId` sees of each of `ids` (POST /api/presence), as `view` answers one by one, in the ids'
   * order without repeats, leaving out myself, unknown ids and deleted accounts. A fixed number of store
   * queries whatever the number of ids.
   */
  async function viewMany(viewerId: string, ids: readonly string[]): Promise<{ userId: string; lastSeen: LastSeen }[]> {
    const wanted = [...new Set(ids)].filter((id) => id !== viewerId);
    if (wanted.length === 0) return [];
    const [viewer, targets, blocks, shared] = await Promise.all([
      store.getUser(viewerId),
      store.getUsers(wanted),
      store.blocksWith(viewerId, wanted),
      store.sharedChats(viewerId, wanted)
    ]);
    const byId = new Map(targets.filter((t) => t.deletedAt == null).map((t) => [t.id, t]));
    const blockedBy = new Set(blocks.blockedBy);
    const sharing = new Set(shared);
    const shown = wanted.filter((id) => byId.has(id));
    const online = await Promise.all(shown.map((id) => presence.isUserOnline(id)));
    return shown.map((id, i) => ({
      userId: id,
      lastSeen: decide(byId.get(id)!, { blockedViewer: blockedBy.has(id), online: online[i], viewerHides: hides(viewer), shared: sharing.has(id) })
    }));
  }

  /**
   * Tells `userId`'s chat partners what they now see of them: `all` (a privacy change) sends the
   * approximate form too; a transition only the exact one (the approximate cannot change then). One
   * query for the partners, then one bus event per distinct frame (at most three) naming its
   * recipients: each node hands it to the sockets it holds, so no partner is looked up one by one.
   */
  async function fanOut(userId: string, all: boolean, online?: boolean): Promise<void> {
    const target = await store.getUser(userId);
    if (!target || target.deletedAt != null) return;
    const audience = await store.peerAudience(userId);
    if (audience.length === 0) return;
    const isOnline = online ?? (await presence.isUserOnline(userId));
    const groups = new Map<string, { lastSeen: LastSeen; userIds: string[] }>();
    for (const peer of audience) {
      const lastSeen = decide(target, { blockedViewer: peer.blockedByUser, online: isOnline, viewerHides: peer.hidesOwn, shared: true });
      if (!all && 'approx' in lastSeen) continue;
      const key = JSON.stringify(lastSeen);
      const group = groups.get(key) ?? groups.set(key, { lastSeen, userIds: [] }).get(key)!;
      group.userIds.push(peer.peerId);
    }
    for (const { lastSeen, userIds } of groups.values()) bus.publish({ to: 'users', userIds, frame: { t: 'presence', userId, lastSeen } });
  }

  /** `viewerId`, if they hold a socket, sees at once what they now may of `targetId` (after a block or an unblock between the two). */
  async function showTo(viewerId: string, targetId: string): Promise<void> {
    if (!(await presence.isUserOnline(viewerId))) return;
    const target = await store.getUser(targetId);
    const lastSeen = target && (await view(viewerId, target));
    if (lastSeen) bus.publish({ to: 'user', userId: viewerId, frame: { t: 'presence', userId: targetId, lastSeen } });
  }

  /** The users this node holds a socket of: their stored last seen is refreshed while they stay (`refresh`). */
  const held = new Set<string>();
  let refreshTimer: ReturnType<typeof setInterval> | null = null;
  const refresh = async (): Promise<number> => (held.size > 0 ? store.refreshLastSeen([...held], now()) : 0);

  /** One user's socket changes in order (an open and a close racing must not swap their stored times). */
  const chains = new Map<string, Promise<void>>();
  const step = async (userId: string, online: boolean) => {
    const changed = online ? await presence.userOnline(userId) : await presence.userOffline(userId);
    if (!changed) return;
    await store.setLastSeenAt(userId, now());
    await fanOut(userId, false, online);
  };

  const queue = (userId: string, run: () => Promise<void>): Promise<void> => {
    const next = (chains.get(userId) ?? Promise.resolve())
      .then(run)
      .catch((err: unknown) => log.error('last seen transition failed', { err: err instanceof Error ? err : String(err) }));
    chains.set(userId, next);
    void next.then(() => chains.get(userId) === next && chains.delete(userId));
    return next;
  };

  return {
    view,
    viewMany,

    /** This node got its first (`online`) or lost its last socket of the user (from the socket hub). */
    socket(userId: string, online: boolean): Promise<void> {
      if (online) held.add(userId);
      else held.delete(userId);
      return queue(userId, () => step(userId, online));
    },

    /**
     * Stores now as the last seen of every user this node holds, in one statement (never moving a stored
     * time back): the in-memory presence dies with a crash, and then the stored time is at most one
     * period old instead of the moment they came online. How many rows changed.
     */
    refresh,

    /** Refreshes every `periodMs` until `close` (errors logged; the next period tries again). */
    start(periodMs: number): void {
      refreshTimer ??= setInterval(
        () => void refresh().catch((err: unknown) => log.error('last seen refresh failed', { err: err instanceof Error ? err : String(err) })),
        periodMs
      );
      refreshTimer.unref?.();
    },

    close(): void {
      if (refreshTimer) clearInterval(refreshTimer);
      refreshTimer = null;
    },

    /**
     * The user's last live node died (another node's sweep claimed it): stored as last seen at that node's
     * last heartbeat and told to the partners, unless the user came back meanwhile.
     */
    expired(userId: string, at: number): Promise<void> {
      return queue(userId, async () => {
        if (await presence.isUserOnline(userId)) return;
        await store.setLastSeenAt(userId, at);
        await fanOut(userId, false, false);
      });
    },

    /** This node still holds the user, whom the deployment had counted offline (its entry was swept): online again. */
    back(userId: string): Promise<void> {
      return queue(userId, async () => {
        await store.setLastSeenAt(userId, now());
        await fanOut(userId, false, true);
      });
    },

    showTo,

    /** Two users' first shared chat began: each online sees at once what they now may of the other ("my chats"). */
    async chatStarted(a: string, b: string): Promise<void> {
      await Promise.all([showTo(a, b), showTo(b, a)]).catch((err: unknown) =>
        log.error('last seen: a new chat not announced', { err: err instanceof Error ? err : String(err) })
      );
    },

    /** The account was deleted: its partners with a socket learn it shows none now (a frame without `lastSeen`). */
    async gone(userId: string): Promise<void> {
      const userIds = await store.cloudPeers(userId);
      if (userIds.length > 0) bus.publish({ to: 'users', userIds, frame: { t: 'presence', userId } });
    },

    /** The user changed who sees their last seen: their partners online see what they now may, their own devices the setting. */
    async privacyChanged(userId: string, privacy: LastSeenPrivacy): Promise<void> {
      bus.publish({ to: 'user', userId, frame: { t: 'privacy', lastSeen: privacy } });
      await fanOut(userId, true);
    },

    /** Waits for the transitions under way (tests, shutdown). */
    async idle(): Promise<void> {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    }
  };
}
