import { describe, expect, it } from 'vitest';
import { Update } from '$lib/api/wire';
import { fastMessageUpdate } from '$lib/worker/sync-fast-check';
import { checkPage } from '$lib/worker/cloud-sync';

type Row = { [k: string]: unknown; message: Record<string, unknown>; peer: Record<string, unknown> };
const good = (): Row => ({
  kind: 'message',
  cursor: 7,
  message: {
    id: '00000000-0000-4000-8000-000000000001',
    peerId: 'bob',
    seq: 3,
    senderId: 'bob',
    senderDeviceId: 'dev_1',
    text: 'hi',
    replyTo: null,
    createdAt: 1_700_000_000_000,
    media: null
  },
  peer: { id: 'bob', username: 'bob', displayName: 'Bob' }
});
const edit = (f: (u: Row) => void) => {
  const u = good();
  f(u);
  return u;
};

describe('the fast check of a sync page row', () => {
  const valid = [
    good(),
    edit((u) => delete u.message.media),
    edit((u) => (u.message.replyTo = '00000000-0000-4000-8000-000000000002')),
    edit((u) => (u.peer = { id: 'bob', username: '', displayName: 'Deleted account', deleted: true })),
    edit((u) => ((u.extra = 1), (u.message.extra = 2), (u.peer.extra = 3))),
    edit((u) => (u.message.text = '')),
    // The peer's profile photo version (kept: dropping it would make every message look like a photo change).
    edit((u) => (u.peer.photo = 3)),
    edit((u) => (u.peer.photo = null))
  ];
  const invalid = [
    edit((u) => (u.message.id = 'not-a-uuid')),
    edit((u) => (u.message.id = '00000000-0000-4000-8000-00000000000A')),
    edit((u) => (u.message.peerId = 'a b')),
    edit((u) => (u.message.seq = 0)),
    edit((u) => (u.message.seq = 1.5)),
    edit((u) => (u.message.senderId = 'x'.repeat(65))),
    edit((u) => delete u.message.senderDeviceId),
    edit((u) => (u.message.text = 5)),
    edit((u) => (u.message.replyTo = 'x')),
    edit((u) => delete u.message.replyTo),
    edit((u) => (u.message.createdAt = '1')),
    edit((u) => (u.cursor = 1.5)),
    edit((u) => (u.peer.deleted = false)),
    edit((u) => (u.peer.photo = 0)),
    edit((u) => (u.peer.photo = 1.5)),
    edit((u) => (u.peer.photo = '2')),
    edit((u) => delete u.peer.displayName),
    edit((u) => (u.message = [] as never)),
    edit((u) => (u.kind = 'reads')),
    null,
    'message'
  ];

  it('returns what the wire schema returns for the rows it accepts', () => {
    for (const u of valid) expect(fastMessageUpdate(u)).toEqual(Update.parse(u));
  });

  it('accepts nothing the wire schema refuses', () => {
    for (const u of invalid) {
      expect(Update.safeParse(u).success).toBe(false);
      expect(fastMessageUpdate(u)).toBeNull();
    }
  });

  it('leaves quotes, attachments and other kinds to the schema, which still names a bad row', () => {
    const quoted = edit((u) => ((u.message.replyTo = '00000000-0000-4000-8000-000000000002'), (u.message.quote = { text: 'q', mine: false })));
    const media = edit((u) => (u.message.media = { mime: 'image/png' }));
    const read = { kind: 'read', cursor: 9, peerId: 'bob', readerId: 'me', seq: 2 };
    for (const u of [quoted, media, read]) expect(fastMessageUpdate(u)).toBeNull();
    const page = checkPage({ updates: [good(), edit((u) => ((u.cursor = 8), (u.message.seq = 0))), read], cursor: 9, more: false }, 0);
    expect(page.updates.map((u) => u.cursor)).toEqual([7, 9]);
    expect(page.rejected).toEqual([{ cursor: 8, reason: expect.stringMatching(/^malformed \(message\.seq: /) }]);
  });
});
