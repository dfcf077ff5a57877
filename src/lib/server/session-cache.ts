/**
 * A short-lived in-memory cache of session and device lookups, the two reads every envelope POST
 * makes (and every WebSocket upgrade). Correctness rests on invalidation, not on the TTL: a revocation
 * (logout, "remove device") is published on the bus, which delivers it synchronously on the node that
 * made it and through Redis on every other node; the relay drops the device from this cache on it.
 * The TTL only bounds how long a node that missed the bus event (Redis down) would keep honouring a
 * revoked token. An entry past half its TTL is still served but re-read in the background, so a busy
 * device's lookups never wait on the store (every expiry used to stall its requests on a read).
 */
import { hashToken, readToken, TOUCH_INTERVAL_MS, type AuthCtx } from './auth';
import type { IncomingMessage } from 'node:http';
import type { DeviceRow, Store } from './store/types';

export interface SessionCacheOptions {
  /** How long an entry may be served without reading the store again (ms). */
  ttlMs?: number;
  /** Entries per map; the oldest are dropped first. */
  max?: number;
  now: () => number;
}

interface Entry<T> {
  value: T;
  at: number;
}

export class SessionCache {
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly sessions = new Map<string, Entry<AuthCtx>>();
  private readonly devices = new Map<string, Entry<DeviceRow>>();
  /** Bumped by every invalidation, so a lookup that started before it doesn't cache a stale row. */
  private epoch = 0;
  /** Keys being re-read in the background (see refresh). */
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly store: Store,
    opts: SessionCacheOptions
  ) {
    this.ttlMs = opts.ttlMs ?? 5000;
    this.max = opts.max ?? 50_000;
    this.now = opts.now;
  }

  /** The request's live session, or null when missing, unknown or revoked. */
  async authenticate(req: IncomingMessage): Promise<AuthCtx | null> {
    const token = readToken(req);
    if (!token) return null;
    const hash = hashToken(token);
    const t = this.now();
    let s = this.fresh(this.sessions, hash, t);
    if (s && this.stale(this.sessions, hash, t))
      this.refresh(
        `s${hash}`,
        () => this.store.getSession(hash),
        this.sessions,
        hash,
        (row) => !!row && row.device.revokedAt === null
      );
    if (!s) {
      const epoch = this.epoch;
      const row = await this.store.getSession(hash);
      if (!row || row.device.revokedAt !== null) return null;
      s = row;
      if (epoch === this.epoch) this.put(this.sessions, hash, s, t);
    }
    if (t - s.device.lastSeenAt >= TOUCH_INTERVAL_MS) {
      s.device.lastSeenAt = t; // first: concurrent requests don't all write
      await this.store.touchDevice(s.device.id, t);
    }
    return s;
  }

  /** A device by id (revoked or not), or null. */
  async device(id: string): Promise<DeviceRow | null> {
    const t = this.now();
    const hit = this.fresh(this.devices, id, t);
    if (hit) {
      if (this.stale(this.devices, id, t))
        this.refresh(
          `d${id}`,
          () => this.store.getDevice(id),
          this.devices,
          id,
          (row) => !!row
        );
      return hit;
    }
    const epoch = this.epoch;
    const row = await this.store.getDevice(id);
    if (row && epoch === this.epoch) this.put(this.devices, id, row, t);
    return row;
  }

  /** Forget everything about a device (it was revoked, here or on another node). */
  forgetDevice(deviceId: string): void {
    this.epoch++;
    this.devices.delete(deviceId);
    for (const [k, e] of this.sessions) if (e.value.device.id === deviceId) this.sessions.delete(k);
  }

  /** Forget a user's cached rows (e.g. the display name changed). */
  forgetUser(userId: string): void {
    this.epoch++;
    for (const [k, e] of this.sessions) if (e.value.user.id === userId) this.sessions.delete(k);
  }

  get size(): number {
    return this.sessions.size + this.devices.size;
  }

  private fresh<T>(map: Map<string, Entry<T>>, key: string, t: number): T | null {
    const e = map.get(key);
    if (!e) return null;
    if (t - e.at >= this.ttlMs || t < e.at) {
      map.delete(key);
      return null;
    }
    return e.value;
  }

  /** Past half its TTL (the entry exists and is fresh). */
  private stale<T>(map: Map<string, Entry<T>>, key: string, t: number): boolean {
    return t - map.get(key)!.at >= this.ttlMs / 2;
  }

  /** One background re-read per key; a row that is gone or revoked drops the entry, and an invalidation meanwhile wins. */
  private refresh<T>(flight: string, read: () => Promise<T | null>, map: Map<string, Entry<T>>, key: string, live: (row: T | null) => boolean): void {
    if (this.refreshing.has(flight)) return;
    this.refreshing.add(flight);
    const epoch = this.epoch;
    read()
      .then((row) => {
        if (epoch !== this.epoch) return;
        if (live(row)) this.put(map, key, row as T, this.now());
        else map.delete(key);
      })
      .catch(() => map.delete(key)) // the next request reads it itself, and sees the error
      .finally(() => this.refreshing.delete(flight));
  }

  private put<T>(map: Map<string, Entry<T>>, key: string, value: T, t: number): void {
    map.delete(key);
    map.set(key, { value, at: t });
    if (map.size > this.max) map.delete(map.keys().next().value!);
  }
}
