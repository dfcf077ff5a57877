/**
 * Cross-node fan-out over Redis pub/sub (REDIS_URL), behind the same `Bus` interface as the in-process
 * bus. Every node publishes each event once to one channel and subscribes to it; an event is delivered
 * to local subscribers synchronously at publish time (same behaviour as the local bus) and to every
 * other node through Redis (each node skips its own echo by node id).
 *
 * Delivery is best effort, like the sockets it feeds: a frame only announces something the client can
 * always fetch over HTTP (sync by cursor, envelopes by seq), so an event lost while Redis is
 * unreachable costs latency, not data. ioredis reconnects and resubscribes by itself.
 *
 * Presence (which devices hold a socket on any node) lives next to it: a sorted set per device whose
 * members are node ids scored with an expiry time, refreshed by a heartbeat, so a node that dies
 * stops counting after `presenceTtlMs`; the survivors' heartbeat sweeps its users' entries so their
 * going offline is recorded and announced (Presence.onUserExpired), and a node that was only cut off
 * announces its users again once its heartbeat finds them gone (Presence.onUserBack).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Bus, BusEvent } from './bus';
import type { Presence } from './presence';

export type { Presence };

export interface RedisBus extends Bus {
  readonly nodeId: string;
  readonly presence: Presence;
  /** Round trip to Redis in ms (health checks); rejects when unreachable. */
  ping(): Promise<number>;
  /** Events received from other nodes / published by this node (metrics). */
  readonly stats: { published: number; received: number };
}

export interface RedisBusOptions {
  url: string;
  /** Pub/sub channel and key prefix; nodes of one deployment must share it, deployments must not (config `redisPrefix`). Default "cinder". */
  prefix?: string;
  /** Unique per process; random by default. */
  nodeId?: string;
  /** A presence entry lives this long without a heartbeat (default 90 s). */
  presenceTtlMs?: number;
  onError?: (err: unknown) => void;
}

interface Wire {
  /** Origin node id. */
  o: string;
  e: BusEvent;
}

/*
 * Next to each user's set, one index of every (user, node) entry scored like it (KEYS[2], members
 * "<user> <node>"; user ids hold no space): a node that dies leaves its entries there, and a survivor's sweep finds them.
 * Dropping an expired entry drops its index member too, so the sweep sees only those nobody handled.
 */
const DROP_EXPIRED = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, node in ipairs(gone) do redis.call('ZREM', KEYS[2], ARGV[2] .. ' ' .. node) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])`;
/** The user's live nodes before this one joined (expired ones dropped): 0 means the user came online. ARGV: now, user, expiry, node, key ttl. */
const USER_ONLINE = `${DROP_EXPIRED}
redis.call('ZREM', KEYS[1], ARGV[4])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2] .. ' ' .. ARGV[4])
return before`;
/** The user's live nodes once this one left: 0 means the user went offline. ARGV: now, user, node. */
const USER_OFFLINE = `${DROP_EXPIRED}
redis.call('ZREM', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[2] .. ' ' .. ARGV[3])
return redis.call('ZCARD', KEYS[1])`;
/**
 * Claims up to ARGV[2] index entries expired by ARGV[1] (nodes gone without saying so) and drops them
 * from their users' sets; answers how many it claimed, then user, expiry for each user left with no node. One script, so of
 * several nodes sweeping at once exactly one claims each entry. KEYS[1]: the index; ARGV[3]: the
 * user key prefix.
 */
const SWEEP = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {#expired / 2}
for i = 1, #expired, 2 do
  local member = expired[i]
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, ' ', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local node = string.sub(member, sep + 1)
  local key = ARGV[3] .. user
  redis.call('ZREM', key, node)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  if redis.call('ZCARD', key) == 0 then
    table.insert(out, user)
    table.insert(out, expired[i + 1])
  end
end
return out`;

/**
 * This node's heartbeat for its users (KEYS[1]: the index; ARGV: now, expiry, node, key ttl, user key
 * prefix, then the user ids). An entry found gone (a survivor swept it while this node could not reach
 * Redis or stalled, or another node's script dropped it as expired) was counted offline: the users with
 * no other live node are answered, to be announced online again.
 */
const USERS_HEARTBEAT = `
local back = {}
for i = 6, #ARGV do
  local user = ARGV[i]
  local key = ARGV[5] .. user
  if not redis.call('ZSCORE', key, ARGV[3]) then
    local gone = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[1])
    for _, node in ipairs(gone) do redis.call('ZREM', KEYS[1], user .. ' ' .. node) end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
    if redis.call('ZCARD', key) == 0 then table.insert(back, user) end
  end
  redis.call('ZADD', key, ARGV[2], ARGV[3])
  redis.call('PEXPIRE', key, ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[2], user .. ' ' .. ARGV[3])
end
return back`;

/** Index entries one sweep script claims at most (a script blocks Redis while it runs). */
const SWEEP_BATCH = 200;

/** Connects (both connections) and subscribes before resolving, so no event published afterwards is missed. */
export async function createRedisBus(opts: RedisBusOptions): Promise<RedisBus> {
  const prefix = opts.prefix ?? 'cinder';
  const channel = `${prefix}:bus`;
  const nodeId = opts.nodeId ?? randomBytes(9).toString('base64url');
  const ttl = opts.presenceTtlMs ?? 90_000;
  const onError = opts.onError ?? (() => {});
  const redisOpts = { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true } as const;

  const pub = new Redis(opts.url, { ...redisOpts, connectionName: `cinder-pub-${nodeId}` });
  // The transition scripts as commands (sent by their SHA once Redis has them, EVALSHA).
  pub.defineCommand('cinderUserOffline', { numberOfKeys: 2, lua: USER_OFFLINE });
  pub.defineCommand('cinderUserOnline', { numberOfKeys: 2, lua: USER_ONLINE });
  pub.defineCommand('cinderSweep', { numberOfKeys: 1, lua: SWEEP });
  pub.defineCommand('cinderUsersHeartbeat', { numberOfKeys: 1, lua: USERS_HEARTBEAT });
  const scripts = pub as unknown as Record<
    'cinderUserOnline' | 'cinderUserOffline' | 'cinderSweep' | 'cinderUsersHeartbeat',
    (...args: (string | number)[]) => Promise<unknown>
  >;
  const sub = new Redis(opts.url, { ...redisOpts, connectionName: `cinder-sub-${nodeId}` });
  // Without listeners ioredis logs every connection error to stderr; route them to the caller instead.
  pub.on('error', onError);
  sub.on('error', onError);

  const listeners = new Set<(event: BusEvent) => void>();
  const stats = { published: 0, received: 0 };
  const deliver = (event: BusEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        onError(e);
      }
    }
  };

  sub.on('message', (ch: string, text: string) => {
    if (ch !== channel) return;
    let msg: Wire;
    try {
      msg = JSON.parse(text) as Wire;
    } catch (e) {
      onError(e);
      return;
    }
    if (msg.o === nodeId) return; // already delivered locally at publish time
    stats.received++;
    deliver(msg.e);
  });

  try {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(channel);
  } catch (e) {
    pub.disconnect();
    sub.disconnect();
    throw e;
  }

  // ---- presence ----
  const presenceKey = (deviceId: string) => `${prefix}:presence:${deviceId}`;
  const userPrefix = `${prefix}:upresence:`;
  const userKey = (userId: string) => userPrefix + userId;
  const indexKey = `${prefix}:upresence-index`;
  const local = new Set<string>();
  const localUsers = new Set<string>();
  const refresh = (ids: Iterable<string>) => {
    const until = Date.now() + ttl;
    const m = pub.multi();
    let n = 0;
    for (const id of ids) {
      m.zadd(presenceKey(id), until, nodeId);
      m.pexpire(presenceKey(id), ttl * 2);
      n++;
    }
    if (n > 0) m.exec().catch(onError);
    else m.discard();
  };
  let expiredHandler: ((userId: string, lastSeenAt: number) => void) | null = null;
  let backHandler: ((userId: string) => void) | null = null;
  /** Refreshes this node's users; those it finds were counted offline meanwhile are announced again. */
  const refreshUsers = async () => {
    const ids = [...localUsers];
    for (let i = 0; i < ids.length; i += SWEEP_BATCH) {
      const now = Date.now();
      const back = (await scripts.cinderUsersHeartbeat(indexKey, now, now + ttl, nodeId, ttl * 2, userPrefix, ...ids.slice(i, i + SWEEP_BATCH))) as string[];
      // One that left meanwhile had its own transition.
      for (const id of back) if (localUsers.has(id)) backHandler?.(id);
    }
  };
  /** Users whose last live node stopped heartbeating without leaving: each told to one node only (the script's claim). */
  const sweep = async () => {
    for (let batch = 0; batch < 10; batch++) {
      const [claimed, ...found] = (await scripts.cinderSweep(indexKey, Date.now(), SWEEP_BATCH, userPrefix)) as [number, ...string[]];
      // The entry's expiry is its node's last heartbeat plus the TTL.
      for (let i = 0; i + 1 < found.length; i += 2) expiredHandler?.(found[i], Number(found[i + 1]) - ttl);
      if (claimed < SWEEP_BATCH) return;
    }
  };
  const beat = Math.max(1000, Math.floor(ttl / 3));
  const heartbeat = setInterval(() => {
    refresh(local);
    refreshUsers().catch(onError);
    if (expiredHandler) sweep().catch(onError);
  }, beat);
  heartbeat.unref();

  const presence: Presence = {
    online(deviceId) {
      local.add(deviceId);
      refresh([deviceId]);
    },
    offline(deviceId) {
      local.delete(deviceId);
      pub.zrem(presenceKey(deviceId), nodeId).catch(onError);
    },
    async isOnline(deviceId) {
      if (local.has(deviceId)) return true;
      return (await pub.zcount(presenceKey(deviceId), Date.now(), '+inf')) > 0;
    },
    // One script each, so two nodes changing one user at once cannot both (or neither) see the transition.
    async userOnline(userId) {
      localUsers.add(userId);
      const now = Date.now();
      return (await scripts.cinderUserOnline(userKey(userId), indexKey, now, userId, now + ttl, nodeId, ttl * 2)) === 0;
    },
    async userOffline(userId) {
      localUsers.delete(userId);
      return (await scripts.cinderUserOffline(userKey(userId), indexKey, Date.now(), userId, nodeId)) === 0;
    },
    async isUserOnline(userId) {
      if (localUsers.has(userId)) return true;
      return (await pub.zcount(userKey(userId), Date.now(), '+inf')) > 0;
    },
    onUserExpired(handler) {
      expiredHandler = handler;
    },
    onUserBack(handler) {
      backHandler = handler;
    }
  };

  let closed = false;
  return {
    nodeId,
    presence,
    stats,
    publish(event) {
      deliver(event);
      if (closed) return;
      stats.published++;
      pub.publish(channel, JSON.stringify({ o: nodeId, e: event } satisfies Wire)).catch(onError);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async ping() {
      const t = performance.now();
      await pub.ping();
      return performance.now() - t;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      listeners.clear();
      if (local.size > 0) {
        const m = pub.multi();
        for (const id of local) m.zrem(presenceKey(id), nodeId);
        await m.exec().catch(() => {});
        local.clear();
      }
      if (localUsers.size > 0) {
        const m = pub.multi();
        for (const id of localUsers) m.zrem(userKey(id), nodeId).zrem(indexKey, `${id} ${nodeId}`);
        await m.exec().catch(() => {});
        localUsers.clear();
      }
      await Promise.all([sub.quit().catch(() => sub.disconnect()), pub.quit().catch(() => pub.disconnect())]);
    }
  };
}
