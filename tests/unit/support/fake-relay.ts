/**
 * A relay in memory for two or more devices, so SecretEngines can run a real secret chat in one Node
 * process. Each device talks to it through its own `as(deviceId)` view, the engine's SecretRelay
 * (worker/secret/relay.ts), as the real relay knows the caller by its session cookie. Envelopes wait
 * per device until a test takes them (take) or the device pulls and acknowledges them (pull, ack).
 */
import { toB64u } from '$lib/api/b64';
import type { Envelope, PublicDevice, PublicUser } from '$lib/api/wire';
import type { Identity } from '$lib/crypto';
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
  /** Every wake-up time a device asked for, by device. */
  readonly wakeups = new Map<string, number[]>();
  /** Chat requests taken back, in order. */
  readonly withdrawn: string[] = [];

  constructor(members: RelayMember[] = []) {
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
    return { id: m.deviceId, signPub: toB64u(m.identity.sign.pub), dhPub: toB64u(m.identity.dh.pub) };
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
      pull: async (after, limit) => (this.queues.get(deviceId) ?? []).filter((e) => e.seq > after).slice(0, limit),
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
