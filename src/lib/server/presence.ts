/**
 * Which devices currently hold a live WebSocket, across every relay node. The socket hub reports its
 * own devices (first socket opened / last socket closed); `isOnline` answers for the whole deployment.
 * Single process: the in-memory implementation below. Several nodes: the Redis one in ./redis-bus.ts
 * (a per-device sorted set of node ids with expiry scores, refreshed by a heartbeat; per user likewise,
 * where a script decides the user-level transitions that "last seen" follows: ./last-seen.ts).
 */
export interface Presence {
  /** This node now holds a socket of the device (called once per device, on its first socket). */
  online(deviceId: string): void;
  /** This node no longer holds any socket of the device. */
  offline(deviceId: string): void;
  /** Whether any node holds a live socket of the device. */
  isOnline(deviceId: string): Promise<boolean>;
  /**
   * This node now holds its first socket of the user: true when no node held one before (the user came
   * online across the deployment), as decided atomically where the nodes meet.
   */
  userOnline(userId: string): Promise<boolean>;
  /** This node no longer holds any socket of the user: true when no node holds one now (the user went offline). */
  userOffline(userId: string): Promise<boolean>;
  /** Whether any node holds a live socket of any device of the user ("online"). */
  isUserOnline(userId: string): Promise<boolean>;
  /**
   * Several nodes: `handler` learns of each user whose last live node died without a clean shutdown
   * (its heartbeats stopped), with the time of that node's last heartbeat; across the deployment each
   * such user reaches one node's handler only. Absent in one process, where a crash forgets everything.
   */
  onUserExpired?(handler: (userId: string, lastSeenAt: number) => void): void;
  /**
   * Several nodes: `handler` learns of each user this node still holds whom the deployment counted
   * offline meanwhile (this node was cut off from the others or stalled past the TTL): online again.
   */
  onUserBack?(handler: (userId: string) => void): void;
}

export function createLocalPresence(): Presence {
  const devices = new Set<string>();
  const users = new Set<string>();
  return {
    online: (id) => void devices.add(id),
    offline: (id) => void devices.delete(id),
    isOnline: async (id) => devices.has(id),
    userOnline: async (id) => !users.has(id) && !!users.add(id),
    userOffline: async (id) => users.delete(id),
    isUserOnline: async (id) => users.has(id)
  };
}
