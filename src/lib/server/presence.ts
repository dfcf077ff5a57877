/**
 * Which devices currently hold a live WebSocket, across every relay node. The socket hub reports its
 * own devices (first socket opened / last socket closed); `isOnline` answers for the whole deployment.
 * Single process: the in-memory implementation below. Several nodes: the Redis one in ./redis-bus.ts
 * (a per-device sorted set of node ids with expiry scores, refreshed by a heartbeat).
 */
export interface Presence {
  /** This node now holds a socket of the device (called once per device, on its first socket). */
  online(deviceId: string): void;
  /** This node no longer holds any socket of the device. */
  offline(deviceId: string): void;
  /** Whether any node holds a live socket of the device. */
  isOnline(deviceId: string): Promise<boolean>;
}

export function createLocalPresence(): Presence {
  const devices = new Set<string>();
  return {
    online: (id) => void devices.add(id),
    offline: (id) => void devices.delete(id),
    isOnline: async (id) => devices.has(id)
  };
}
