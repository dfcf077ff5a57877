/**
 * A deliberately tiny HTTP layer for the JSON API: a router with `:param` segments, bounded JSON body
 * reading, zod validation that turns every bad input into a 4xx, and one place that writes responses
 * (so every API answer carries the same security headers).
 */
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from '$lib/api/zod';
import { LIMITS, type ErrorCode } from '../api/wire';
import { COMPRESS_MIN_BYTES, compress, pickEncoding } from './compress';
import type { Logger } from './log';

export type Headers = Record<string, string | string[]>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Headers = {}
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  /** JSON-encoded. */
  body?: unknown;
  /** Raw bytes streamed from an open file (sent as application/octet-stream; the handle is closed after). */
  file?: { handle: FileHandle; size: number };
  /** Raw bytes from memory (sent as application/octet-stream). */
  bytes?: Uint8Array;
  /** Raw bytes produced as they are sent (application/octet-stream, exactly `size` bytes; destroyed if unsent). */
  stream?: { body: Readable; size: number };
  headers?: Headers;
  /** The JSON body may be compressed (safe only without secrets beside attacker-chosen text: see compress.ts). */
  compress?: boolean;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Promise<Reply>;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

export type Match = { kind: 'ok'; route: Route; params: Record<string, string> } | { kind: 'method'; allowed: string[] } | { kind: 'none' };

/** Routes are tried in registration order, so register literal paths before overlapping `:param` ones. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(method: string, pathname: string): Match {
    let parts: string[];
    try {
      parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { kind: 'none' }; // malformed %-escape: no route can match it
    }
    const allowed: string[] = [];
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      if (r.method === method) return { kind: 'ok', route: r, params };
      allowed.push(r.method);
    }
    return allowed.length ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) params[pattern[i].slice(1)] = parts[i];
    else if (pattern[i] !== parts[i]) return null;
  }
  return params;
}

export const errorBody = (code: ErrorCode, message: string) => ({ error: { code, message } });

const SECURITY_HEADERS: Headers = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY'
};

/** Writes `reply`; `acceptEncoding` (the request's header) lets a `compress` reply be brotli/gzip-encoded. */
export function send(res: ServerResponse, reply: Reply, acceptEncoding?: string | string[]): void {
  if (res.headersSent || res.destroyed) {
    void reply.file?.handle.close().catch(() => undefined);
    reply.stream?.body.destroy();
    return;
  }
  const headers: Headers = { ...SECURITY_HEADERS, ...reply.headers };
  if (reply.bytes) {
    headers['content-type'] = 'application/octet-stream';
    headers['content-length'] = String(reply.bytes.byteLength);
    res.writeHead(reply.status, headers);
    res.end(reply.bytes);
    return;
  }
  if (reply.file) {
    headers['content-type'] = 'application/octet-stream';
    headers['content-length'] = String(reply.file.size);
    res.writeHead(reply.status, headers);
    if (reply.file.size === 0) {
      void reply.file.handle.close().catch(() => undefined);
      res.end();
      return;
    }
    const stream = reply.file.handle.createReadStream({ start: 0, end: Math.max(0, reply.file.size - 1) });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
    return;
  }
  if (reply.stream) {
    const { body, size } = reply.stream;
    headers['content-type'] = 'application/octet-stream';
    headers['content-length'] = String(size);
    res.writeHead(reply.status, headers);
    // A failure after the head can only cut the connection: the client sees a short body, never a wrong one.
    body.on('error', () => res.destroy());
    res.on('close', () => body.destroy());
    body.pipe(res);
    return;
  }
  let payload: Buffer | undefined;
  if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers['content-type'] = 'application/json; charset=utf-8';
    if (reply.compress) {
      headers['vary'] = 'Accept-Encoding';
      const encoding = payload.length >= COMPRESS_MIN_BYTES ? pickEncoding(acceptEncoding) : null;
      if (encoding) {
        payload = compress(payload, encoding);
        headers['content-encoding'] = encoding;
      }
    }
    headers['content-length'] = String(payload.length);
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** Validates with zod; any issue becomes 400 bad_request naming the first problem and where it is. */
export function parse<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  throw new HttpError(400, 'bad_request', path ? `${path}: ${issue.message}` : (issue?.message ?? 'invalid request'));
}

/** Raised when the client went away mid-request; answered with nothing and not logged as an error. */
export class ClientGone extends Error {}

/**
 * Reads the body, refusing more than `max` bytes. An oversize body is refused as soon as the declared
 * length or the bytes received exceed the limit; the connection is then closed after the 413 so the
 * rest of the upload is never read into memory.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, 'too_large', `request body exceeds ${max} bytes`, { connection: 'close' });
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      req.resume(); // discard, don't buffer; the socket closes after the reply
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        cleanup();
        chunks.length = 0;
        req.resume();
        reject(tooLarge());
      } else chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new ClientGone());
    };
    const onAborted = onError;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads, parses and validates a JSON body. */
export async function readJson<S extends z.ZodMiniType>(req: IncomingMessage, schema: S, max: number = LIMITS.jsonBodyMax): Promise<z.output<S>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, 'bad_request', 'content-type must be application/json');
  }
  const raw = await readBody(req, max);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(raw));
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  return parse(schema, value);
}

/** An optional non-negative integer query parameter. */
export function queryInt(url: URL, name: string, opts: { min: number; max: number; def: number }): number;
export function queryInt(url: URL, name: string, opts: { min: number; max: number; def: null }): number | null;
export function queryInt(url: URL, name: string, opts: { min: number; max: number; def: number | null }): number | null {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return opts.def;
  if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, 'bad_request', `${name}: must be a whole number`);
  const n = Number(v);
  if (n < opts.min || n > opts.max) {
    throw new HttpError(400, 'bad_request', `${name}: must be between ${opts.min} and ${opts.max}`);
  }
  return n;
}

/**
 * The request target as a URL. Always treated as a path (never `//host/...` protocol-relative), so the
 * pathname is exactly what the client sent.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL('http://relay.invalid' + (target.startsWith('/') ? target : '/'));
  } catch {
    return new URL('http://relay.invalid/');
  }
}

/**
 * Routes one request. Known failures (HttpError) are answered as they say; anything else is a bug:
 * logged with its stack and answered 500 internal without detail.
 */
export async function dispatch(router: Router, req: IncomingMessage, res: ServerResponse, log: Logger, url: URL = requestUrl(req)): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  let route = '(none)';
  let reply: Reply;
  try {
    const m = router.match(method, url.pathname);
    if (m.kind === 'none') throw new HttpError(404, 'not_found', 'no such endpoint');
    if (m.kind === 'method') {
      throw new HttpError(405, 'method_not_allowed', `use ${m.allowed.join(', ')}`, { allow: m.allowed.join(', ') });
    }
    route = m.route.pattern;
    reply = await m.route.handler({ req, res, url, params: m.params });
  } catch (e) {
    if (e instanceof ClientGone) {
      res.destroy();
      return;
    }
    if (e instanceof HttpError) {
      reply = { status: e.status, body: errorBody(e.code, e.message), headers: e.headers };
    } else {
      log.error('unhandled error', { method, route, err: e instanceof Error ? e : String(e) });
      reply = { status: 500, body: errorBody('internal', 'internal error') };
    }
  }
  // Don't leave an unread request body behind on a kept-alive connection.
  if (!req.complete) req.resume();
  send(res, reply, req.headers['accept-encoding']);
  log.info('request', { method, route, status: reply.status, ms: Math.round(performance.now() - started) });
}
