/**
 * Graceful HTTP shutdown. `server.close()` alone waits for every connection to end, and browsers hold
 * connections that carry no request: keep-alive sockets between requests, speculative pre-connections
 * that never sent a byte, and sockets whose request finished after close() began (Node still answers
 * those with `Connection: keep-alive` and then waits out the 5 s keep-alive timeout, or longer while
 * the page keeps sending). None is work in progress, so shutdown ends them at once; a request being
 * received or answered (an upload, a blob download) finishes, with `Connection: close`. WebSockets
 * (upgraded sockets) are left to the relay, which closes them with 1001.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Drain {
  /** Stops accepting, ends idle connections now and each busy one after its response; resolves when none is left. */
  shutdown(): Promise<void>;
  /** Connections that are neither idle nor upgraded (in-flight requests). */
  readonly busy: number;
}

export function trackConnections(server: Server): Drain {
  /** Responses in progress per socket; upgraded sockets are dropped from the map. */
  const sockets = new Map<Socket, Set<ServerResponse>>();
  let closing = false;

  const endIfIdle = (socket: Socket) => {
    if (sockets.get(socket)?.size === 0) socket.end(); // FIN after anything still queued
  };

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, new Set());
    socket.once('close', () => sockets.delete(socket));
    if (closing) socket.destroy();
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const busy = sockets.get(req.socket);
    if (!busy) return;
    busy.add(res);
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      busy.delete(res);
      if (closing) setImmediate(() => endIfIdle(req.socket));
    });
  });
  server.on('upgrade', (req: IncomingMessage) => sockets.delete(req.socket));

  return {
    shutdown() {
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, busy] of sockets) {
        // Nothing asked on it yet, or its answer is complete: end it now.
        if (busy.size === 0) socket.destroy();
        // In flight: the connection ends with the response (closed by Node, or by endIfIdle above).
        for (const res of busy) if (!res.headersSent) res.setHeader('connection', 'close');
      }
      return done;
    },
    get busy() {
      let n = 0;
      for (const b of sockets.values()) if (b.size > 0) n++;
      return n;
    }
  };
}
