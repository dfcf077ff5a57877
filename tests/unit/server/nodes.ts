/**
 * Relay nodes serving the same users, as a deployment runs them: `createRelay` instances on one
 * PostgreSQL schema, their live events fanned out through Redis (RedisBus), each on its own port.
 * Needs PostgreSQL and Redis (see `skipNodes`).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/lib/server/config';
import { createLogger } from '../../../src/lib/server/log';
import { createRedisBus, type RedisBus } from '../../../src/lib/server/redis-bus';
import { createRelay, type Relay } from '../../../src/lib/server/relay';
import { dropPostgresSchema, openPostgresStore, type PostgresStore } from '../../../src/lib/server/store/postgres';
import { FAST_SCRYPT, tempDir, type TestServer } from './helpers';
import { postgres, redis, skipWithout, uniqueName } from './services';

const pgService = await postgres();
const redisService = await redis();

/** Whether tests of `what` skip: no PostgreSQL or Redis here (outside CI). */
export const skipNodes = (what: string) => skipWithout(what, pgService, redisService);

export interface Node {
  name: string;
  /** Enough of TestServer for the helpers (they only use `url`). */
  ts: TestServer;
  relay: Relay;
  bus: RedisBus;
  store: PostgresStore;
  server: Server;
  logs: string[];
  /** Abrupt stop: sockets cut without a close handshake, then everything released. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** Shared by every node of a run, and by a node a test starts in its own process. */
export const AT_REST_KEY = randomBytes(32).toString('base64');

export async function startNode(name: string, schema: string, prefix: string, dataDir: string): Promise<Node> {
  // Nodes share the at-rest key and (like a shared volume) DATA_DIR for blobs.
  const config = loadConfig({ DATA_DIR: dataDir, AT_REST_KEY, AUTH_RATE_LIMIT: '10000', SEND_RATE_BURST: '10000', SEND_RATE_PER_SEC: '10000' });
  const logs: string[] = [];
  const log = createLogger('debug', (l) => logs.push(l));
  const store = await openPostgresStore(pgService.url, { schema, max: 6 });
  const bus = await createRedisBus({ url: redisService.url, prefix, nodeId: name, presenceTtlMs: 3000, onError: () => {} });
  const relay = createRelay(config, {
    store,
    bus,
    presence: bus.presence,
    log,
    scrypt: FAST_SCRYPT,
    healthChecks: [{ name: 'redis', run: () => bus.ping() }]
  });
  const server = createServer((req, res) => {
    if (!relay.handle(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!relay.upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let done = false;
  const release = async () => {
    await relay.close();
    await new Promise<void>((r) => server.close(() => r()));
    await bus.close();
    await store.close();
  };
  return {
    name,
    ts: { url, host: `127.0.0.1:${port}` } as TestServer,
    relay,
    bus,
    store,
    server,
    logs,
    async kill() {
      if (done) return;
      done = true;
      server.closeAllConnections(); // HTTP keep-alive and upgraded sockets alike: no close frames
      await release();
    },
    async close() {
      if (done) return;
      done = true;
      server.closeAllConnections();
      await release();
    }
  };
}

/** Two nodes (node-a, node-b) on a fresh schema, bus prefix and DATA_DIR; `stop` closes them and drops it all. */
export function twoNodes(label: string) {
  const schema = uniqueName(label);
  const prefix = uniqueName('bus');
  const dataDir = tempDir();
  const nodes: Node[] = [];
  return {
    /** The Redis key prefix the nodes share (for a test that edits the bus's keys). */
    prefix,
    async start(): Promise<[Node, Node]> {
      nodes.push(await startNode('node-a', schema, prefix, dataDir));
      nodes.push(await startNode('node-b', schema, prefix, dataDir));
      return [nodes[0], nodes[1]];
    },
    async stop() {
      for (const n of nodes) await n.close();
      await dropPostgresSchema(pgService.url, schema).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
