/**
 * Production entry, bundled to build/cinder.js beside SvelteKit's build/handler.js:
 * one HTTP server where /api, /healthz and the /ws upgrade go to the relay and everything else to the
 * app. Start with `node build/cinder.js` (configuration: docs/operations.md).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './log';
import { trackConnections } from './drain';
import { applySecurityHeaders } from './headers';
import { createRelay } from './relay';
import { createRedisBus } from './redis-bus';
import { openStore, redactUrl } from './store/open';

type AppHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** SvelteKit's adapter-node handler, resolved next to this file at run time (not bundled). */
async function loadApp(log: Logger): Promise<AppHandler> {
  const url = new URL('./handler.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    log.warn('app handler not found; serving the relay only', { path: fileURLToPath(url) });
    return (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
    };
  }
  const mod = (await import(url.href)) as { handler: AppHandler };
  return mod.handler;
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'bad configuration', error: e.message }) + '\n');
      process.exit(1);
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', { err: err instanceof Error ? err : String(err) });
  });

  // DATABASE_URL: PostgreSQL (migrated under an advisory lock); otherwise SQLite in DATA_DIR.
  const { store, backend, migrated } = await openStore(config, (err) => log.warn('database connection error', { err }));
  log.info('database ready', {
    backend,
    where: backend === 'postgres' ? redactUrl(config.databaseUrl!) : config.dataDir,
    migrationsApplied: migrated,
    atRest: config.atRestKeySource
  });
  // REDIS_URL: live events and presence shared by every node; otherwise this process only.
  let lastRedisWarn = 0;
  const bus = config.redisUrl
    ? await createRedisBus({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        onError: (err) => {
          if (Date.now() - lastRedisWarn < 10_000) return; // reconnect loops would flood the log
          lastRedisWarn = Date.now();
          log.warn('redis error', { err: err instanceof Error ? err.message : String(err) });
        }
      })
    : undefined;
  if (bus) log.info('redis bus ready', { where: redactUrl(config.redisUrl!), nodeId: bus.nodeId, prefix: config.redisPrefix });
  const relay = createRelay(config, {
    store,
    log,
    bus,
    presence: bus?.presence,
    healthChecks: bus ? [{ name: 'redis', run: () => bus.ping() }] : []
  });
  const app = await loadApp(log);

  const server = createServer((req, res) => {
    // Off: every answer is identity-encoded (a fronting proxy may compress instead).
    if (!config.compression) delete req.headers['accept-encoding'];
    applySecurityHeaders(req, res, config.trustProxy);
    if (!relay.handle(req, res)) app(req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!relay.upgrade(req, socket, head)) socket.destroy();
  });
  const drain = trackConnections(server);

  const purgeOnce = () =>
    relay
      .purgeExpired()
      .then((n) => n > 0 && log.info('expired envelopes and blobs purged', { count: n }))
      .catch((err: unknown) => log.error('expiry purge failed', { err: err instanceof Error ? err : String(err) }));
  void purgeOnce();
  const purge = setInterval(() => void purgeOnce(), PURGE_INTERVAL_MS);
  purge.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  log.info('listening', { url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`, host: config.host, port });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal });
    clearInterval(purge);
    // Stop accepting and end idle connections now; in-flight requests finish (drain.ts).
    const drained = drain.shutdown();
    await relay.close(); // WebSockets get 1001 "going away"
    const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), config.shutdownTimeoutMs).unref())]);
    if (timedOut) {
      log.warn('in-flight requests did not finish in time; closing connections', { timeoutMs: config.shutdownTimeoutMs, busy: drain.busy });
      server.closeAllConnections();
    }
    await bus?.close();
    await store.close();
    log.info('stopped');
    process.exit(0);
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      shutdown(sig).catch((err: unknown) => {
        log.error('shutdown failed', { err: err instanceof Error ? err : String(err) });
        process.exit(1);
      });
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'startup failed', err: err instanceof Error ? err.stack : String(err) }) + '\n'
  );
  process.exit(1);
});
