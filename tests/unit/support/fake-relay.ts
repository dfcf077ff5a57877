/**
 * A two-device relay in memory, standing in for `request()` (worker/net.ts) so two SecretEngines
 * can run a real secret chat in one Node process. Envelopes wait per device until a test delivers
 * them; the sender of an envelope is the device it is not addressed to.
 */
import type { z } from 'zod';
import { toB64u } from '$lib/api/b64';
import type { Envelope, PublicDevice, PublicUser } from '$lib/api/wire';
import type { Identity } from '$lib/crypto';
import { NetError } from '$lib/worker/net';

export interface RelayMember {
  user: PublicUser;
  deviceId: string;
  identity: Identity;
}

interface SendBody {
  id: string;
  toDeviceId: string;
  body: string;
  requestId?: string;
}

export class FakeRelay {
  private readonly queues = new Map<string, Envelope[]>();
  private seq = 0;
  /** The next this-many envelope posts fail as a relay outage would (503). */
  failSends = 0;

  constructor(private readonly members: [RelayMember, RelayMember]) {}

  private member(pred: (m: RelayMember) => boolean): RelayMember {
    const m = this.members.find(pred);
    if (!m) throw new Error('fake relay: unknown user or device');
    return m;
  }

  private device(m: RelayMember): PublicDevice {
    return { id: m.deviceId, signPub: toB64u(m.identity.sign.pub), dhPub: toB64u(m.identity.dh.pub) };
  }

  private answer(method: string, path: string, body: unknown): unknown {
    const user = /^\/api\/users\/([^/]+)(\/devices)?$/.exec(path);
    if (method === 'GET' && user) {
      const m = this.member((x) => x.user.id === decodeURIComponent(user[1]));
      return user[2] ? { devices: [this.device(m)] } : { user: m.user };
    }
    if (method === 'POST' && path === '/api/envelopes') {
      if (this.failSends > 0 && this.failSends--) throw new NetError('unavailable', 'relay unavailable', 503);
      const b = body as SendBody;
      const from = this.member((x) => x.deviceId !== b.toDeviceId);
      const env: Envelope = { seq: ++this.seq, id: b.id, fromDeviceId: from.deviceId, fromUserId: from.user.id, body: b.body, createdAt: Date.now(), requestId: b.requestId ?? null };
      this.queues.set(b.toDeviceId, [...(this.queues.get(b.toDeviceId) ?? []), env]);
      return null;
    }
    // Claims, acks, wake-up times: accepted, nothing to model here.
    if (method === 'POST') return null;
    throw new Error(`fake relay: no route for ${method} ${path}`);
  }

  /** The `request()` stand-in: answers are checked against the caller's schema, as the real one does. */
  async request<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S | null): Promise<z.infer<S>> {
    const res = this.answer(method, path, body);
    return (schema ? schema.parse(res) : res) as z.infer<S>;
  }

  /** Everything waiting for a device, in queue order (taken off the relay). */
  take(deviceId: string): Envelope[] {
    const out = this.queues.get(deviceId) ?? [];
    this.queues.delete(deviceId);
    return out;
  }
}
