/**
 * Search across all chats (the chat list's "Messages"): `npm run bench:search` (Node, ~1-3 min).
 *
 * Node with fake-indexeddb, as the unit tests build the worker's store, so the floor below can use the
 * same vault (in the app only the worker holds its key; bench/search-browser.ts is the app). The rows are sealed
 * with the vault's AES-GCM key (Node's WebCrypto) and stored as the worker stores synced ones, over 50
 * chats. Figures, per size (10,000 and 50,000 messages; `BENCH_SEARCH_SIZES`):
 *   - few: a query matching a handful of messages (fewer than a page, so the whole history is opened),
 *     time from the worker's `searchMessages` call to its first page;
 *   - many: a query matching every message (the first page fills from the newest rows);
 *   - again: `few` again right after (a second keystroke's search over the same history);
 * beside the same-run baseline: reading every row (one `toArray` per chat on its index) and opening every
 * row with the vault alone (200 in flight), i.e. the floor of a search that opens everything.
 * Each figure is the median of ROUNDS, in turns with the baselines.
 */
import 'fake-indexeddb/auto';
import { loadavg } from 'node:os';
import { Dexie } from 'dexie';
import type { ChatRow, MessageRow } from '$lib/store/db';
import { sealMessage } from '$lib/worker/cloud';
import type { CoreContext } from '$lib/worker/rpc/context';
import { searchAllHandlers } from '$lib/worker/rpc/search-all';
import { forgetOpened } from '$lib/worker/search-opened';
import { places } from '$lib/store/places';
import { unlockedStore } from '../tests/unit/support/store';
import { fmt, percentile, report, watchdog } from './support';

const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '10000,50000').split(',').map(Number);
const CHATS = 50;
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 3);
/** One message in RARE holds the rare word. */
const RARE = 2_000;
const ME = 'me';
watchdog(600_000);

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const peer = (c: number) => `peer-${String(c).padStart(2, '0')}`;
const text = (i: number) => (i % RARE === 7 ? `shall we meet in Zanzibar next year? (${i})` : `message ${i}: an ordinary line of chat, about lunch and the weather`);

const chatRow = (peerId: string): ChatRow => ({
  peerId,
  peer: { id: peerId, username: peerId, displayName: peerId },
  lastAt: 0,
  myReadSeq: 0,
  readSentSeq: 0,
  peerReadSeq: 0,
  unread: 0
});

async function seed(size: number) {
  const { db, vault } = await unlockedStore(`bench-search-${size}-${Date.now()}`);
  await db.chats.bulkPut(Array.from({ length: CHATS }, (_, c) => chatRow(peer(c))));
  const t0 = performance.now();
  const base = Date.now() - size * 1_000;
  for (let from = 0; from < size; from += 1_000) {
    const rows = await Promise.all(
      Array.from({ length: Math.min(1_000, size - from) }, (_, k) => {
        const i = from + k;
        const peerId = peer(i % CHATS);
        return sealMessage(vault, {
          id: uuid(i),
          peerId,
          seq: Math.floor(i / CHATS) + 1,
          senderId: i % 3 ? peerId : ME,
          senderDeviceId: 'd',
          text: text(i),
          replyTo: null,
          createdAt: base + i * 1_000,
          media: null
        });
      })
    );
    await db.messages.bulkPut(rows);
  }
  console.log(`  seeded ${size} messages over ${CHATS} chats in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return { db, vault, ctx: { db, vault, me: ME } as unknown as CoreContext };
}

async function time<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

console.log(
  `Cinder search-all bench (Node, fake-indexeddb), ${new Date().toISOString()}, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')}`
);
for (const size of SIZES) {
  const { db, vault, ctx } = await seed(size);
  const search = (query: string) => searchAllHandlers.searchMessages(ctx, { query });
  const readAll = async () =>
    (
      await Promise.all(
        Array.from({ length: CHATS }, (_, c) =>
          db.messages
            .where('[peerId+createdAt]')
            .between([peer(c), Dexie.minKey], [peer(c), Dexie.maxKey])
            .reverse()
            .toArray()
        )
      )
    ).flat();
  const rows: MessageRow[] = await readAll();
  const openAll = async () => {
    for (let i = 0; i < rows.length; i += 200) await Promise.all(rows.slice(i, i + 200).map((r) => vault.open(places.message(r.id), r.box)));
  };
  const s = { few: [] as number[], many: [] as number[], again: [] as number[], read: [] as number[], open: [] as number[] };
  let found = { few: 0, many: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    forgetOpened();
    const few = await time(() => search('zanzibar'));
    const again = await time(() => search('zanzibar'));
    forgetOpened();
    const many = await time(() => search('lunch'));
    s.few.push(few.ms);
    s.again.push(again.ms);
    s.many.push(many.ms);
    found = { few: few.value.results.length, many: many.value.results.length };
    s.read.push((await time(readAll)).ms);
    s.open.push((await time(openAll)).ms);
  }
  const med = (xs: number[]) => percentile(xs, 50);
  const floor = med(s.read) + med(s.open);
  console.log(`  ${size} messages: 'few' found ${found.few}, 'many' found ${found.many} (a page)`);
  report(`search ${size}: read every row (baseline)`, med(s.read), 'ms');
  report(`search ${size}: open every row, vault alone (baseline)`, med(s.open), 'ms');
  report(`search ${size}: few matches → first page`, med(s.few), 'ms', `${fmt(med(s.few) / floor, 2)}× read + open`, null, 0);
  report(`search ${size}: the same query again`, med(s.again), 'ms', `${fmt(med(s.again) / floor, 2)}× read + open`, null, 0);
  report(`search ${size}: many matches → first page`, med(s.many), 'ms', `${fmt(med(s.many) / floor, 3)}× read + open`, null, 1);
  db.close();
}
console.log(
  `  load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')} (1/5/15 min)`
);
process.exit(0);
