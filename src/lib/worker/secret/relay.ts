/**
 * Everything the secret-chat engine asks of the relay, as one narrow interface: the engine never
 * calls HTTP itself. Production uses `httpRelay` (over net.ts's request() and media.ts's blob
 * transfers); unit tests pass an in-memory relay (tests/unit/support/fake-relay.ts).
 *
 * A failure is a NetError (net.ts) as request() throws it: the engine tells an outage ('offline',
 * 'rate_limited', 5xx, 'unauthorized') from a refusal ('conflict', 'not_found', 'gone', …) by its code.
 */
import { z } from '$lib/api/zod';
import { EnvelopePage, PublicDevice, PublicUser, RegisterMailboxesRes } from '$lib/api/wire';
import { downloadBlob, uploadBlob, uploadSealedBlob, type Progress } from '../media';
import { request } from '../net';

/** One envelope to post: the relay keeps it for `toDeviceId`; `id` makes the post idempotent. */
export interface OutgoingEnvelope {
  id: string;
  toDeviceId: string;
  body: string;
  /** Only on a chat request: the id the peer's devices claim it by. */
  requestId?: string;
}

/** A sealed post (protocol 2): no sender; the mailbox's capability MAC (crypto's capMac) proves membership. */
export interface SealedPost {
  id: string;
  /** b64url of the 16-byte mailbox id. */
  mailbox: string;
  body: string;
  /** b64url of capMac(cap, id, body bytes). */
  mac: string;
}

/** A receive mailbox registered for this device (b64url id and capability key). */
export interface MailboxRegistration {
  id: string;
  cap: string;
  expiresAt: number;
}

export interface SecretRelay {
  /** A user's public profile (who a chat is with). */
  user(userId: string): Promise<PublicUser>;
  /** A user's devices and their public keys (where requests go, who may accept). */
  devices(userId: string): Promise<PublicDevice[]>;
  send(envelope: OutgoingEnvelope): Promise<void>;
  /** Posts to a mailbox anonymously (no credentials): the relay queues it for the mailbox's device. */
  sendSealed(post: SealedPost): Promise<void>;
  /** This device owns these receive mailboxes (until each expiresAt); returns the ids another device (or key) holds, not registered. */
  registerMailboxes(mailboxes: MailboxRegistration[]): Promise<string[]>;
  /** This device gives up these receive mailboxes. */
  dropMailboxes(ids: string[]): Promise<void>;
  /** The highest protocol version this device speaks (others start version-2 chats with it from 2 on). */
  setProtocol(protocol: 1 | 2): Promise<void>;
  /** Envelopes waiting for this device after queue position `after`, oldest first, at most `limit`. */
  /** Up to `limit` envelopes after queue position `after`; `more` when the relay cut the page short by bytes. */
  pull(after: number, limit: number): Promise<EnvelopePage>;
  /** This device is done with every envelope up to queue position `upTo`. */
  ack(upTo: number): Promise<void>;
  /** Takes a chat request for this device; the relay lets exactly one of the user's devices win. */
  claim(requestId: string): Promise<void>;
  /** Takes back a chat request nobody accepted yet. */
  withdraw(requestId: string): Promise<void>;
  /** Asks the relay to wake this device at these times (message deadlines; it learns only times). */
  wakeAt(times: number[]): Promise<void>;
  uploadBlob(blob: Uint8Array, toDeviceId: string, onProgress: Progress): Promise<string>;
  /** Uploads for a mailbox's device anonymously, with the mailbox's blob token (crypto's blobToken). */
  uploadSealedBlob(blob: Uint8Array, mailbox: string, token: string, onProgress: Progress): Promise<string>;
  downloadBlob(blobId: string, size: number, onProgress: Progress): Promise<Uint8Array>;
  deleteBlob(blobId: string): Promise<void>;
}

const id = (s: string) => encodeURIComponent(s);
/** For calls whose answer carries nothing (204, or a body the engine does not use). */
const done = async (call: Promise<unknown>): Promise<void> => void (await call);

/** The relay over HTTP, with this device's session cookie. */
export const httpRelay: SecretRelay = {
  user: async (userId) => (await request('GET', `/api/users/${id(userId)}`, undefined, z.object({ user: PublicUser }))).user,
  devices: async (userId) => (await request('GET', `/api/users/${id(userId)}/devices`, undefined, z.object({ devices: z.array(PublicDevice) }))).devices,
  send: (e) => done(request('POST', '/api/envelopes', e, null)),
  // Without the session cookie: the relay must not be able to tell who posted.
  sendSealed: (p) => done(request('POST', '/api/sealed', p, null, undefined, 'omit')),
  registerMailboxes: async (mailboxes) => {
    // null: a 204 (a relay from before the conflicts were answered), which stored them all.
    const r: RegisterMailboxesRes | null = await request('POST', '/api/mailboxes', { mailboxes }, RegisterMailboxesRes);
    return r?.conflicts ?? [];
  },
  dropMailboxes: (ids) => done(request('POST', '/api/mailboxes/drop', { ids }, null)),
  setProtocol: (protocol) => done(request('POST', '/api/devices/protocol', { protocol }, null)),
  pull: (after, limit) => request('GET', `/api/envelopes?after=${after}&limit=${limit}`, undefined, EnvelopePage),
  ack: (upTo) => done(request('POST', '/api/envelopes/ack', { upTo }, null)),
  claim: (requestId) => done(request('POST', '/api/secret/claim', { requestId }, null)),
  withdraw: (requestId) => done(request('POST', '/api/secret/withdraw', { requestId }, null)),
  wakeAt: (at) => done(request('POST', '/api/wakeups', { at }, null)),
  uploadBlob,
  uploadSealedBlob,
  downloadBlob,
  deleteBlob: (blobId) => done(request('DELETE', `/api/blobs/${id(blobId)}`, undefined, null))
};
