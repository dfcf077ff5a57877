/**
 * What the storage-level tests share: each backend opened fresh (SQLite in a temp dir, PostgreSQL in a
 * fresh schema, skipped when unreachable outside CI) with a second store on the same database (another
 * node, or a restart), and rows made the way the relay makes them.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dropPostgresSchema, openPostgresStore } from '../../../src/lib/server/store/postgres';
import { openSqliteStore } from '../../../src/lib/server/store/sqlite';
import type { NewDevice, NewEnvelope, Store, UserRow } from '../../../src/lib/server/store/types';
import { tempDir } from './helpers';
import { postgres, skipWithout, uniqueName } from './services';

const pgService = await postgres();

type Opened = Store & { migrated: number[] };

export interface StoreHarness {
  /** The store under test. */
  store: Opened;
  /** Another store on the same database (a second node / a restart). */
  open(): Promise<Opened>;
  cleanup(): Promise<void>;
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  create(): Promise<StoreHarness>;
}

/** Both backends; `label` names the skip reason and the PostgreSQL schemas, `max` its pool size. */
export function storeBackends(label: string, max = 4): StoreBackend[] {
  const harness = async (first: Opened, again: () => Promise<Opened>, drop: () => Promise<void>): Promise<StoreHarness> => {
    const extra: Store[] = [];
    return {
      store: first,
      async open() {
        const s = await again();
        extra.push(s);
        return s;
      },
      async cleanup() {
        for (const s of [first, ...extra]) await s.close();
        await drop();
      }
    };
  };
  return [
    {
      name: 'sqlite',
      skip: false,
      async create() {
        const dir = tempDir();
        return harness(
          openSqliteStore(dir),
          async () => openSqliteStore(dir),
          async () => rmSync(dir, { recursive: true, force: true })
        );
      }
    },
    {
      name: 'postgres',
      skip: skipWithout(`${label}: postgres`, pgService),
      async create() {
        const schema = uniqueName(label.replace(/\W+/g, '_'));
        const open = () => openPostgresStore(pgService.url, { schema, max });
        return harness(await open(), open, () => dropPostgresSchema(pgService.url, schema));
      }
    }
  ];
}

/** A test's store in eachStore: a fresh database before each test, cleaned up after it. */
export interface StoreCtx {
  backend: StoreBackend;
  h: StoreHarness;
  store: StoreHarness['store'];
}

/**
 * Declares `cases` once per backend (`title: sqlite`, `title: postgres`), each test with a fresh store
 * in `t` (read `t.store` inside a test, not when declaring it).
 */
export function eachStore(title: string, cases: (t: StoreCtx) => void, opts: { label?: string; max?: number } = {}): void {
  for (const backend of storeBackends(opts.label ?? title, opts.max)) {
    describe.skipIf(backend.skip)(`${title}: ${backend.name}`, () => {
      const t = { backend } as StoreCtx;
      beforeEach(async () => {
        t.h = await backend.create();
        t.store = t.h.store;
      });
      afterEach(async () => {
        await t.h.cleanup();
      });
      cases(t);
    });
  }
}

export const id = () => randomBytes(16).toString('base64url').slice(0, 22);
export const T0 = 1_700_000_000_000;
export const DAY = 86_400_000;

export type Account = { user: UserRow; device: NewDevice };

let userCounter = 0;
/** A user with its first device ("Laptop"), both created at `createdAt` (T0). */
export async function mkUser(
  store: Store,
  { name = `user${++userCounter}_${randomBytes(2).toString('hex')}`, createdAt = T0 }: { name?: string; createdAt?: number } = {}
) {
  const user: UserRow = { id: id(), username: name.toLowerCase(), displayName: name, pwHash: 'scrypt$x', createdAt };
  const device: NewDevice = { id: id(), userId: user.id, name: 'Laptop', signPub: 'sp', dhPub: 'dp', tokenHash: randomBytes(32).toString('hex'), createdAt };
  await store.createUser(user, device);
  return { user, device } satisfies Account;
}

/** Another device ("Phone") of `userId`. */
export async function mkDevice(store: Store, userId: string, createdAt = T0 + 1) {
  const d: NewDevice = { id: id(), userId, name: 'Phone', signPub: 'sp2', dhPub: 'dp2', tokenHash: randomBytes(32).toString('hex'), createdAt };
  await store.createDevice(d);
  return d;
}

/** A secret-chat envelope from `from`'s first device (or `over.fromDeviceId`) to one device, kept 7 days. */
export const env = (toDeviceId: string, from: Account, over: Partial<NewEnvelope> = {}): NewEnvelope => ({
  id: randomUUID(),
  toDeviceId,
  fromDeviceId: from.device.id,
  fromUserId: from.user.id,
  body: randomBytes(64),
  createdAt: T0,
  expiresAt: T0 + 7 * DAY,
  requestId: null,
  ...over
});

/** A cloud message from `from` to `to` as sendMessage takes it (its sealed body names its id). */
export const msgInput = (from: Account, to: { user: UserRow }, msgId: string = randomUUID(), createdAt = T0) => ({
  id: msgId,
  senderId: from.user.id,
  senderDeviceId: from.device.id,
  recipientId: to.user.id,
  body: Buffer.from(`sealed:${msgId}`),
  createdAt
});

/** A cloud message from `from` to `to` (its sealed body names its id). */
export const send = (store: Store, from: Account, to: { user: UserRow }, msgId: string = randomUUID(), createdAt = T0) =>
  store.sendMessage(msgInput(from, to, msgId, createdAt));
