/**
 * A hostile relay for the verification tests: an HTTP/WebSocket proxy in front of the real relay
 * that lies about device identity keys and terminates the secret-chat handshake in the middle
 * ("Mallory"), with one identity facing Alice and another facing Bob. Both handshakes succeed —
 * what must give it away is that the two sides' fingerprints differ.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import {
  acceptRequest,
  completeHandshake,
  createRequest,
  generateIdentity,
  nobleBackend,
  type Identity,
  type PendingHandshake,
  type PublicIdentity
} from '../../src/lib/crypto';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unb64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

export interface MitmProxy {
  url: string;
  /** Which users to attack (user ids), set once both have signed up. */
  target(aliceId: string, bobId: string): void;
  /** How many handshake messages were replaced. */
  swapped(): number;
  close(): Promise<void>;
}

export async function startMitmProxy(upstream: string): Promise<MitmProxy> {
  const backend = nobleBackend();
  const asBob: Identity = await generateIdentity(backend); // Mallory, shown to Alice as Bob's device
  const asAlice: Identity = await generateIdentity(backend); // Mallory, shown to Bob as Alice's device
  const pub = (id: Identity): PublicIdentity => ({ signPub: id.sign.pub, dhPub: id.dh.pub });
  const up = new URL(upstream);
  let alice = '';
  let bob = '';
  let swaps = 0;
  const real = new Map<string, PublicIdentity>(); // deviceId -> real identity
  let acceptForAlice: Uint8Array | null = null;
  let pendingToBob: PendingHandshake | null = null;

  async function rewriteRequestBody(path: string, body: Buffer): Promise<Buffer> {
    if (path !== '/api/envelopes' || !alice) return body;
    const json = JSON.parse(body.toString());
    const bytes = unb64u(json.body);
    if (bytes[1] === 0x01 && real.has(json.toDeviceId)) {
      // Alice's request, made for "Bob" = Mallory: accept it as Mallory, then ask Bob as "Alice".
      const accepted = await acceptRequest(backend, asBob, bytes);
      acceptForAlice = accepted.accept;
      const { request, pending } = await createRequest(backend, asAlice, real.get(json.toDeviceId)!);
      pendingToBob = pending;
      json.body = b64u(request);
      swaps++;
    } else if (bytes[1] === 0x02 && pendingToBob && acceptForAlice) {
      // Bob's accept, meant for "Alice" = Mallory: finish that side, hand Alice Mallory's accept.
      await completeHandshake(backend, asAlice, pendingToBob, bytes);
      json.body = b64u(acceptForAlice);
      pendingToBob = null;
      swaps++;
    }
    return Buffer.from(JSON.stringify(json));
  }

  function rewriteResponse(path: string, body: Buffer): Buffer {
    const m = /^\/api\/users\/([^/]+)\/devices$/.exec(path);
    if (!m || !alice) return body;
    const json = JSON.parse(body.toString());
    const fake = m[1] === bob ? asBob : m[1] === alice ? asAlice : null;
    if (!fake) return body;
    for (const d of json.devices) {
      real.set(d.id, { signPub: unb64u(d.signPub), dhPub: unb64u(d.dhPub) });
      d.signPub = b64u(pub(fake).signPub);
      d.dhPub = b64u(pub(fake).dhPub);
    }
    return Buffer.from(JSON.stringify(json));
  }

  const read = (s: IncomingMessage) =>
    new Promise<Buffer>((res) => {
      const parts: Buffer[] = [];
      s.on('data', (d) => parts.push(d));
      s.on('end', () => res(Buffer.concat(parts)));
    });

  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    let body = await read(req);
    if (body.length && req.headers['content-type']?.includes('json')) body = await rewriteRequestBody(path, body);
    const headers = { ...req.headers, 'content-length': String(body.length) };
    const out = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, async (upRes) => {
      let data = await read(upRes);
      if (upRes.headers['content-type']?.includes('json')) data = rewriteResponse(path, data);
      const h = { ...upRes.headers, 'content-length': String(data.length) };
      delete h['transfer-encoding'];
      res.writeHead(upRes.statusCode ?? 502, h);
      res.end(data);
    });
    out.on('error', () => res.destroy());
    out.end(body);
  });

  // WebSocket upgrades pass through untouched (the lies are all in HTTP).
  server.on('upgrade', (req, socket, head) => {
    const conn = connect(Number(up.port), up.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      conn.write(raw + '\r\n');
      if (head.length) conn.write(head);
      conn.pipe(socket);
      socket.pipe(conn);
    });
    conn.on('error', () => socket.destroy());
    socket.on('error', () => conn.destroy());
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    target(a, b) {
      alice = a;
      bob = b;
    },
    swapped: () => swaps,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      })
  };
}
