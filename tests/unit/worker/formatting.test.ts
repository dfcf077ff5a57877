// Formatted texts outside their bubble: the chat list, notifications, reply quotes, pins and drafts show
// them without markers (a spoiler masked), and a chat's search looks in the text as the bubble shows it.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { SPOILER_MASK } from '$lib/api/rich-text';
import { places } from '$lib/store/places';
import type { CinderDB, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import type { Update } from '$lib/api/wire';
import { chatViews } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { draftPreview } from '$lib/worker/drafts';
import type { CoreContext } from '$lib/worker/rpc/context';
import { searchHandlers as h } from '$lib/worker/rpc/search';
import { secretChatList, secretMessages } from '$lib/worker/secret';
import type { SecretBody } from '$lib/worker/secret/payload';
import { bob, ME, msg, uuid } from '../support/cloud-updates';
import { deliver, secretPair } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('formatting');
let n = 0;

const withText = (u: Update, text: string): Update => (u.kind === 'message' ? { ...u, message: { ...u.message, text } } : u);

describe('formatted texts outside the bubble', () => {
  it('a cloud message: its notification text and the chat list’s preview have no markers, its spoiler masked', async () => {
    const { db, vault } = await unlockedStore(`formatting-cloud-${n++}`);
    const applied = await applyUpdates(db, vault, ME, [withText(msg(1, 'bob'), '**Dinner** at _8_, the code is ||4521||')]);
    expect(applied.fresh.map((f) => f.text)).toEqual([`Dinner at 8, the code is ${SPOILER_MASK}`]);
    expect((await chatViews(db, vault, ME))[0].preview).toBe(`Dinner at 8, the code is ${SPOILER_MASK}`);
    // snake_case and an unclosed marker stay as typed.
    await applyUpdates(db, vault, ME, [withText(msg(2, ME), 'rename my_var_name **later')]);
    expect((await chatViews(db, vault, ME))[0].preview).toBe('rename my_var_name **later');
    db.close();
  });

  it('a secret message: the chat list, and a reply’s quote of it, show it without markers', async () => {
    const { relay, alice, bob: b, chatId } = await established();
    const id = await alice.engine.sendText(chatId, '~~Friday~~ **Saturday** at `10:00`', null);
    await alice.engine.flush();
    await deliver(relay, b);
    const [row] = await secretChatList(b.db, b.vault);
    expect(row.preview).toBe('Friday Saturday at 10:00');
    // Bob's reply quotes it; his view of the quote is rebuilt from the original he holds.
    const reply = await b.engine.sendText(chatId, 'ok', id, null, { snippet: 'Friday Saturday at 10:00', from: 'recipient' });
    const view = (await secretMessages(b.db, b.vault, chatId, { limit: 10 })).messages.find((m) => m.id === reply);
    expect(view?.quote?.snippet).toBe('Friday Saturday at 10:00');
  });

  it('a draft’s line in the chat list has no markers either', () => {
    expect(draftPreview('**almost** done\n`npm test`')).toBe('almost done npm test');
  });
});

describe('search over formatted texts', () => {
  const context = (db: CinderDB, vault: Vault) =>
    ({ db, vault, me: ME, emit: () => {}, flush: async () => {}, sendFrame: () => {}, secretModule: () => import('$lib/worker/secret') }) as unknown as CoreContext;

  async function secretRow(vault: Vault, i: number, text: string): Promise<SecretMessageRow> {
    const id = uuid(i);
    const body: SecretBody = { kind: 'text', text, replyTo: null, ttl: 0 } as SecretBody;
    const box = await vault.seal(places.secretMessage(id), body);
    return { id, chatId: 'c1', at: 1000 + i, mine: true, status: 'sent', ttl: 0, blobId: null, box };
  }

  it('matches the words as shown across markers, a spoiler’s words too, and not the markers', async () => {
    const { db, vault } = await unlockedStore(`formatting-search-${n++}`);
    const ctx = context(db, vault);
    await db.secretMessages.bulkPut([
      await secretRow(vault, 1, 'meet at the **old** _harbour_'),
      await secretRow(vault, 2, 'the answer is ||forty two||'),
      await secretRow(vault, 3, 'keep snake_case_names'),
      await secretRow(vault, 4, '`old harbour` in code')
    ]);
    const ids = async (query: string) => (await h.searchChat(ctx, { kind: 'secret', id: 'c1', query })).ids;
    expect(await ids('old harbour')).toEqual([uuid(4), uuid(1)]);
    expect(await ids('forty two')).toEqual([uuid(2)]);
    expect(await ids('snake_case')).toEqual([uuid(3)]);
    expect(await ids('**old')).toEqual([]);
    expect(await ids('||')).toEqual([]);
    db.close();
  });

  it('a cloud chat too', async () => {
    const { db, vault } = await unlockedStore(`formatting-search-cloud-${n++}`);
    const ctx = context(db, vault);
    await applyUpdates(db, vault, ME, [withText(msg(1, 'bob'), '~~cancelled~~ **moved** to Friday'), withText(msg(2, ME), 'ok')]);
    expect((await h.searchChat(ctx, { kind: 'cloud', id: bob.id, query: 'cancelled moved' })).ids).toEqual([uuid(1)]);
    expect((await h.searchChat(ctx, { kind: 'cloud', id: bob.id, query: '~~cancelled' })).ids).toEqual([]);
    db.close();
  });
});
