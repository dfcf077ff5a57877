/**
 * Runs in a dedicated worker inside a real engine (tests/engines/storage.spec.ts): the kind of
 * IndexedDB traffic Cinder's worker makes — multi-store writes, lone writes and reads, all at once —
 * on the app's own store (CinderDB, with its store locks) or, with `?plain`, on a bare Dexie.
 * The page ends the worker mid-traffic and then checks that the database still runs a transaction.
 */
import { Dexie } from 'dexie';
import { CinderDB } from '$lib/store/db';

const params = new URL(self.location.href).searchParams;
const name = params.get('db') ?? 'worker-end';
type Db = Dexie & { messages: Dexie.Table; chats: Dexie.Table; meta: Dexie.Table };
let db: Db;
if (params.has('plain')) {
  db = new Dexie(name) as Db;
  db.version(1).stores({ messages: 'id, [peerId+seq]', chats: 'peerId, lastAt', meta: 'key' });
} else {
  db = new CinderDB(name) as unknown as Db;
}

let n = 0;
async function writer(): Promise<never> {
  for (;;) {
    const i = n++;
    await db.transaction('rw', db.messages, db.chats, async () => {
      await db.messages.put({ id: `m${i % 200}`, peerId: 'p', seq: i, createdAt: i, body: new Uint8Array(2000) });
      await db.chats.put({ peerId: 'p', lastAt: i });
    });
  }
}
async function lone(): Promise<never> {
  for (;;) await db.messages.put({ id: `l${n++ % 100}`, peerId: 'q', seq: n, createdAt: n });
}
async function reader(): Promise<never> {
  for (;;) await db.messages.get('m1');
}

void db.open().then(() => {
  postMessage('running');
  void writer();
  void writer();
  void lone();
  void lone();
  void reader();
});
