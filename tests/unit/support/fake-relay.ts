/**
 * A relay in memory for two or more devices, so SecretEngines can run a real secret chat in one Node
 * process. Each device talks to it through its own `as(deviceId)` view, the engine's SecretRelay
 * (worker/secret/relay.ts), as the real relay knows the caller by its session cookie. Envelopes wait
 * per device until a test takes them (take) or the device pulls and acknowledges them (pull, ack).
 */
import { fromB64u, toB64u } from '$lib/api/b64';
import type { Envelope, PublicDevice, PublicUser } from '$lib/api/wire';
import { blobToken, capMac, type Identity } from '$lib/crypto';
import { NetError } from '$lib/worker/net';
import type { SecretRelay } from '$lib/worker/secret/relay';

export interface RelayMember {
  user: PublicUser;
  deviceId: string;
  identity: Identity;
}

export class FakeRelay {
  private readonly members: RelayMember[] = [];
  private readonly queues = new Map<string, Envelope[]>();
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly claimed = new Set<string>();
  private readonly revoked = new Set<string>();
  private seq = 0;
  /** The next this-many envelope posts fail as a relay outage would (503). */
  failSends = 0;
  /** A pulled page's body budget (characters of base64url here; the relay's is LIMITS.envelopePageBytes). */
  pageBytes = Infinity;
  /** Every wake-up time a device asked for, by device. */
  readonly wakeups = new Map<string, number[]>();
  /** Chat requests taken back, in order. */
  readonly withdrawn: string[] = [];
  /** Registered mailboxes (b64url id → owner device and capability key). */
  readonly mailboxes = new Map<string, { deviceId: string; cap: Uint8Array; expiresAt: number }>();
  /** Devices that told the relay they speak protocol 2; listed so only when `sealed` is set. */
  readonly protocol2 = new Set<string>();
  /** Blocks, as `<blocker user id> <blocked user id>`: a chat request between the two is refused as the relay does (403). */
  readonly blocks = new Set<string>();

  /** `sealed`: devices are listed with the protocol they told (else all as 1, so chats stay version 1). */
  constructor(
    members: RelayMember[] = [],
    readonly sealed = false
  ) {
    for (const m of members) this.join(m);
  }

  join(member: RelayMember): void {
    this.members.push(member);
  }

  /** Signs a device out, as the relay does: it is no longer listed, its queue is dropped, posts to it are refused (404). */
  revoke(deviceId: string): void {
    this.members.splice(
      this.members.findIndex((m) => m.deviceId === deviceId),
      1
    );
    this.queues.delete(deviceId);
    this.revoked.add(deviceId);
  }

  private member(pred: (m: RelayMember) => boolean): RelayMember {
    const m = this.members.find(pred);
    if (!m) throw new NetError('not_found', 'fake relay: unknown user or device', 404);
    return m;
  }

  private device(m: RelayMember): PublicDevice {
    const protocol = this.sealed && this.protocol2.has(m.deviceId) ? 2 : 1;
    return { id: m.deviceId, signPub: toB64u(m.identity.sign.pub), dhPub: toB64u(m.identity.dh.pub), protocol };
  }

  /** What the device `deviceId` sees of the relay. */
  as(deviceId: string): SecretRelay {
    const me = () => this.member((x) => x.deviceId === deviceId);
    return {
      user: async (userId) => this.member((x) => x.user.id === userId).user,
      devices: async (userId) => this.members.filter((x) => x.user.id === userId).map((x) => this.device(x)),
      send: async (e) => {
        if (this.failSends > 0 && this.failSends--) throw new NetError('unavailable', 'relay unavailable', 503);
        if (this.revoked.has(e.toDeviceId)) throw new NetError('not_found', 'no such device', 404);
        const from = me();
        if (e.requestId) {
          const to = this.member((x) => x.deviceId === e.toDeviceId).user.id;
          if (this.blocks.has(`${to} ${from.user.id}`)) throw new NetError('blocked', 'This user blocked you: nothing was sent.', 403);
          if (this.blocks.has(`${from.user.id} ${to}`)) throw new NetError('you_blocked', 'You blocked this user. Unblock them to write to them.', 403);
        }
        const env: Envelope = {
          seq: ++this.seq,
          id: e.id,
          fromDeviceId: from.deviceId,
          fromUserId: from.user.id,
          body: e.body,
          createdAt: Date.now(),
          requestId: e.requestId ?? null
        };
        this.queues.set(e.toDeviceId, [...(this.queues.get(e.toDeviceId) ?? []), env]);
      },
      sendSealed: async (p) => {
        if (this.failSends > 0 && this.failSends--) throw new NetError('unavailable', 'relay unavailable', 503);
        const box = this.mailboxes.get(p.mailbox);
        if (!box || box.expiresAt <= Date.now()) throw new NetError('not_found', 'no such mailbox', 404);
        if (toB64u(capMac(box.cap, p.id, fromB64u(p.body))) !== p.mac) throw new NetError('forbidden', 'bad mac', 403);
        const env: Envelope = {
          seq: ++this.seq,
          id: p.id,
          fromDeviceId: null,
          fromUserId: null,
          mailbox: p.mailbox,
          body: p.body,
          createdAt: Date.now(),
          requestId: null
        };
        this.queues.set(box.deviceId, [...(this.queues.get(box.deviceId) ?? []), env]);
      },
      registerMailboxes: async (list) => {
        // As the relay: an id held (unexpired) by another device or under another key is left out and named.
        const conflicts: string[] = [];
        for (const m of list) {
          const had = this.mailboxes.get(m.id);
          if (had && had.expiresAt > Date.now() && (had.deviceId !== deviceId || toB64u(had.cap) !== m.cap)) conflicts.push(m.id);
          else this.mailboxes.set(m.id, { deviceId, cap: fromB64u(m.cap), expiresAt: m.expiresAt });
        }
        return conflicts;
      },
      dropMailboxes: async (ids) => {
        for (const id of ids) if (this.mailboxes.get(id)?.deviceId === deviceId) this.mailboxes.delete(id);
      },
      setProtocol: async (protocol) => void (protocol >= 2 ? this.protocol2.add(deviceId) : this.protocol2.delete(deviceId)),
      pull: async (after, limit) => {
        const rest = (this.queues.get(deviceId) ?? []).filter((e) => e.seq > after);
        // As the relay: a page also ends at its byte budget (pageBytes here, so a test can reach it).
        let page = rest.slice(0, limit);
        let bytes = 0;
        const cut = page.findIndex((e, i) => (bytes += e.body.length) > this.pageBytes && i > 0);
        if (cut > 0) page = page.slice(0, cut);
        return { envelopes: page, ...(cut > 0 ? { more: true } : {}) };
      },
      ack: async (upTo) =>
        void this.queues.set(
          deviceId,
          (this.queues.get(deviceId) ?? []).filter((e) => e.seq > upTo)
        ),
      claim: async (requestId) => {
        if (this.claimed.has(requestId)) throw new NetError('conflict', 'another device took this request', 409);
        this.claimed.add(requestId);
      },
      withdraw: async (requestId) => void this.withdrawn.push(requestId),
      wakeAt: async (times) => void this.wakeups.set(deviceId, [...(this.wakeups.get(deviceId) ?? []), ...times]),
      uploadBlob: async (blob, _to, onProgress) => {
        const id = toB64u(crypto.getRandomValues(new Uint8Array(16)));
        this.blobs.set(id, blob.slice());
        onProgress(blob.length, blob.length);
        return id;
      },
      uploadSealedBlob: async (blob, mailbox, token, onProgress) => {
        const box = this.mailboxes.get(mailbox);
        if (!box || toB64u(blobToken(box.cap)) !== token) throw new NetError('forbidden', 'bad blob token', 403);
        const id = toB64u(crypto.getRandomValues(new Uint8Array(16)));
        this.blobs.set(id, blob.slice());
        onProgress(blob.length, blob.length);
        return id;
      },
      downloadBlob: async (blobId, _size, onProgress) => {
        const blob = this.blobs.get(blobId);
        if (!blob) throw new NetError('not_found', 'no such blob', 404);
        onProgress(blob.length, blob.length);
        return blob.slice();
      },
      deleteBlob: async (blobId) => void this.blobs.delete(blobId)
    };
  }

  /** Everything waiting for a device, in queue order (taken off the relay). */
  take(deviceId: string): Envelope[] {
    const out = this.queues.get(deviceId) ?? [];
    this.queues.delete(deviceId);
    return out;
  }

  /** How many envelopes wait for a device (left on the relay). */
  peek(deviceId: string): number {
    return this.queues.get(deviceId)?.length ?? 0;
  }

  /** Whether the relay still holds this blob. */
  hasBlob(blobId: string): boolean {
    return this.blobs.has(blobId);
  }

  /** The size of a blob the relay holds (what it learns of the file's length). */
  blobSize(blobId: string): number | undefined {
    return this.blobs.get(blobId)?.length;
  }
}
