/**
 * Fan-out of live events to WebSocket connections. API handlers publish; each process's socket hub
 * subscribes and delivers to the sockets it holds. Events are plain JSON so a Redis pub/sub
 * implementation can carry them between processes with the same interface.
 */
import type { ServerFrame } from '../api/wire';

export type BusEvent =
  /** Deliver a frame to every socket of a user (all their devices). */
  | { to: 'user'; userId: string; frame: ServerFrame }
  /** Deliver one frame to every socket of each of these users (a presence fan-out: one event, not one per user). */
  | { to: 'users'; userIds: string[]; frame: ServerFrame }
  /** Deliver a frame to the sockets of one device. */
  | { to: 'device'; deviceId: string; frame: ServerFrame }
  /** The device was revoked: tell its sockets and close them. */
  | { to: 'revoke'; deviceId: string };

export interface Bus {
  publish(event: BusEvent): void;
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: BusEvent) => void): () => void;
  close(): Promise<void>;
}

/** Single-process bus: synchronous delivery to local subscribers. */
export function createLocalBus(onListenerError?: (err: unknown) => void): Bus {
  const listeners = new Set<(event: BusEvent) => void>();
  return {
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch (e) {
          // One broken subscriber must not stop delivery to the others or fail the publisher's request.
          onListenerError?.(e);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    }
  };
}
