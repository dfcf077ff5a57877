/**
 * Runs inside a dedicated Web Worker (bundled by bench/backlog.ts): the storage floor of receiving a
 * backlog. 1,000 message rows of the app's shape (ids, an indexed chat/time pair, the unread flag and a
 * sealed box the size the vault makes of the bench's texts) written as a receive writes them: two
 * read-write transactions of 500, each with the page's seen record and the chat row. Raw IndexedDB (no
 * Dexie, no crypto, no locks) and, for the cost Dexie adds, the same through Dexie; rows/s of each,
 * posted back as JSON.
 */
import { Dexie } from 'dexie';
import { median } from '../crypto-measure.js';

const ROWS = 1000;
const PAGE = 500;
const ROUNDS = 3;

/** The vault's box of a bench message ("secret <i> yyy…", bench/browser/rpc.ts): version, key id, nonce, sealed JSON, tag. */
const BOX_BYTES = 1 + 4 + 12 + JSON.stringify({ kind: 'text', text: `secret 999 ${'y'.repeat(40)}`, replyTo: null, ttl: 0, file: null }).length + 16;

const rowsOf = (round: number) =>
  Array.from({ length: ROWS }, (_, i) => ({
    id: crypto.randomUUID(),
    chatId: `chat-${round}`,
    at: 1_800_000_000_000 + i,
    mine: false,
    status: 'sent',
    ttl: 0,
    blobId: null,
    unread: 1,
    box: crypto.getRandomValues(new Uint8Array(BOX_BYTES))
  }));
const seenOf = (rows: { id: string }[], from: number) => ({ id: rows[0]!.id, at: Date.now(), ids: rows.map((r) => r.id), seqs: rows.map((_, i) => from + i) });

function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      const m = db.createObjectStore('secretMessages', { keyPath: 'id' });
      m.createIndex('[chatId+at]', ['chatId', 'at']);
      m.createIndex('deadline', 'deadline');
      m.createIndex('[chatId+unread]', ['chatId', 'unread']);
      const s = db.createObjectStore('seenEnvelopes', { keyPath: 'id' });
      s.createIndex('at', 'at');
      s.createIndex('seqs', 'seqs', { multiEntry: true });
      db.createObjectStore('secretChats', { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function rawRound(db: IDBDatabase, round: number): Promise<number> {
  const rows = rowsOf(round);
  const t = performance.now();
  for (let p = 0; p < ROWS; p += PAGE) {
    const page = rows.slice(p, p + PAGE);
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['secretMessages', 'seenEnvelopes', 'secretChats'], 'readwrite');
      tx.oncomplete = () => resolve();
      tx.onabort = tx.onerror = () => reject(tx.error);
      const m = tx.objectStore('secretMessages');
      for (const r of page) m.add(r);
      tx.objectStore('seenEnvelopes').put(seenOf(page, p + 1));
      tx.objectStore('secretChats').put({ id: `chat-${round}`, lastAt: page[page.length - 1]!.at, box: new Uint8Array(2048) });
    });
  }
  return (ROWS * 1000) / (performance.now() - t);
}

async function dexieRound(db: Dexie, round: number): Promise<number> {
  const rows = rowsOf(round);
  const t = performance.now();
  for (let p = 0; p < ROWS; p += PAGE) {
    const page = rows.slice(p, p + PAGE);
    await db.transaction('rw', ['secretMessages', 'seenEnvelopes', 'secretChats'], async () => {
      await db.table('seenEnvelopes').put(seenOf(page, p + 1));
      await db.table('secretChats').put({ id: `chat-${round}`, lastAt: page[page.length - 1]!.at, box: new Uint8Array(2048) });
      await db.table('secretMessages').bulkAdd(page);
    });
  }
  return (ROWS * 1000) / (performance.now() - t);
}

self.onmessage = async () => {
  const name = `cinder-floor-${crypto.randomUUID()}`;
  try {
    const raw = await openRaw(name);
    const rawRounds: number[] = [];
    for (let i = 0; i < ROUNDS; i++) rawRounds.push(await rawRound(raw, i));
    raw.close();
    const dx = new Dexie(`${name}-dexie`);
    dx.version(1).stores({ secretMessages: 'id, [chatId+at], deadline, [chatId+unread]', seenEnvelopes: 'id, at, *seqs', secretChats: 'id' });
    const dexieRounds: number[] = [];
    for (let i = 0; i < ROUNDS; i++) dexieRounds.push(await dexieRound(dx, i));
    dx.close();
    await Promise.all([indexedDB.deleteDatabase(name), Dexie.delete(`${name}-dexie`)]);
    postMessage({ ok: true, raw: median(rawRounds), rawRounds, dexie: median(dexieRounds), dexieRounds });
  } catch (e) {
    postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
