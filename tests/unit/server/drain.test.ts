/** Graceful shutdown ends connections that carry no request at once and lets in-flight requests finish. */
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect as tcp, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trackConnections } from '../../../src/lib/server/drain';

const open: Socket[] = [];
let server: Server | undefined;
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
  server?.closeAllConnections();
});

async function start(handler: RequestListener) {
  server = createServer(handler);
  const drain = trackConnections(server);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const socket = async () => {
    const s = tcp(port, '127.0.0.1');
    open.push(s);
    await new Promise((r) => s.once('connect', r));
    return s;
  };
  return { drain, socket };
}
const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
const read = (s: Socket) => {
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  return () => text;
};

describe('drain', () => {
  it('ends kept-alive idle, never-used and half-sent connections at once', async () => {
    const { drain, socket } = await start((_req, res) => res.end('ok'));
    const idle = await socket();
    const got = read(idle);
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!got().includes('ok')) await new Promise((r) => setTimeout(r, 5));
    expect(got()).toMatch(/keep-alive/i);
    const preconnect = await socket();
    const partial = await socket();
    partial.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 20));

    let done = false;
    const finished = drain.shutdown().then(() => (done = true));
    await Promise.all([closed(idle), closed(preconnect), closed(partial), finished]);
    expect(done).toBe(true);
  });

  it('lets an in-flight request finish, answered with Connection: close, then ends its connection', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { drain, socket } = await start((_req, res) => void gate.then(() => res.end('finished')));
    const busy = await socket();
    const got = read(busy);
    busy.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(drain.busy).toBe(1);

    let done = false;
    const finished = drain.shutdown().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false); // still working on it
    release();
    await Promise.all([closed(busy), finished]);
    expect(got()).toMatch(/^HTTP\/1\.1 200/);
    expect(got()).toMatch(/connection: close/i);
    expect(got()).toMatch(/finished$/);
  });
});
