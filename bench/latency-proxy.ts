/**
 * A TCP proxy to 127.0.0.1:`port` that holds every chunk `oneWayMs` in each direction (order kept), so a
 * loopback bench can show what a phone's round trip costs: `BENCH_RTT_MS=100` gives ~100 ms per
 * request/response (plus the loopback's own time). Bandwidth is not limited.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface LatencyProxy {
  url: string;
  close(): Promise<void>;
}

export async function latencyProxy(port: number, oneWayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const later = (to: Socket) => (d: Buffer) => void setTimeout(() => to.destroyed || to.write(d), oneWayMs);
  const srv = createServer((client) => {
    const upstream = createConnection({ port, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    client.on('data', later(upstream));
    upstream.on('data', later(client));
    // An end travels after the data before it.
    client.on('end', () => setTimeout(() => upstream.end(), oneWayMs));
    upstream.on('end', () => setTimeout(() => client.end(), oneWayMs));
    const gone = () => {
      for (const s of [client, upstream]) {
        s.destroy();
        sockets.delete(s);
      }
    };
    client.on('error', gone).on('close', () => setTimeout(gone, oneWayMs));
    upstream.on('error', gone).on('close', () => setTimeout(gone, oneWayMs));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  };
}
