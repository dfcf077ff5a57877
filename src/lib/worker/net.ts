/**
 * HTTP calls from the worker to the relay. The session token lives in an HttpOnly cookie that the
 * browser attaches; no JavaScript context ever sees it. Every answer is validated against the
 * wire schema before use.
 */
import type { z } from '$lib/api/zod';
import { ApiError } from '$lib/api/wire';

export class NetError extends Error {
  constructor(
    /** Server error code, or 'offline' when the relay could not be reached. */
    readonly code: string,
    message: string,
    readonly status = 0
  ) {
    super(message);
    this.name = 'NetError';
  }
}

/** A failure a queue waits out and retries (no connection, rate limited, the relay down); anything else is the relay's answer. */
export const isTemporary = (e: unknown): e is NetError => e instanceof NetError && (e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500);

/** A failure worth retrying later (no connection, rate limited, the relay down or the session lapsed). */
export const isOutage = (e: unknown): e is NetError =>
  e instanceof NetError && (e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500 || e.code === 'unauthorized');

export async function request<S extends z.ZodMiniType>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  schema: S | null,
  timeoutMs = 15000,
  /** 'omit' for anonymous calls (sealed posts): the session cookie must not travel with them. */
  credentials: RequestCredentials = 'same-origin'
): Promise<z.infer<S>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch {
    throw new NetError('offline', 'Cannot reach the server. You are offline or the server is down.');
  }
  if (res.status === 204) return null as z.infer<S>;
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new NetError(res.ok ? 'bad_response' : 'offline', `The server answered ${res.status} without JSON`, res.status);
  }
  if (!res.ok) {
    const err = ApiError.safeParse(json);
    if (err.success) throw new NetError(err.data.error.code, err.data.error.message, res.status);
    throw new NetError('bad_response', `The server answered ${res.status}`, res.status);
  }
  if (!schema) return json as z.infer<S>;
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new NetError('bad_response', `Unexpected answer from the server for ${path}`, res.status);
  return parsed.data;
}
