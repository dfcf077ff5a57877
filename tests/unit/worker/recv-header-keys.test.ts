// A batch of sealed envelopes unseals with header keys derived once per epoch (RecvHeaderKeys), not
// three HMACs per envelope; the keys must be exactly the receive seed's header keys, per session.
import { describe, expect, it } from 'vitest';
import { mailboxKeys, type Session } from '$lib/crypto';
import { RecvHeaderKeys } from '$lib/worker/secret/sealed';

const seed = (b: number) => new Uint8Array(32).fill(b);
const session = (recv: Uint8Array | null) => ({ seal: recv && { send: seed(0xee), recv } }) as unknown as Session;

describe('RecvHeaderKeys', () => {
  it("gives the receive seed's header key of each epoch, the same bytes again for the same epoch", () => {
    const keys = new RecvHeaderKeys();
    const s = session(seed(1));
    const a = keys.get(s, 20_000)!;
    expect(a).toEqual(mailboxKeys(seed(1), 20_000).header);
    expect(keys.get(s, 20_000)).toBe(a); // derived once
    expect(keys.get(s, 20_001)).toEqual(mailboxKeys(seed(1), 20_001).header);
  });

  it('follows a session with another receive seed, and gives nothing for a version-1 session', () => {
    const keys = new RecvHeaderKeys();
    const first = keys.get(session(seed(1)), 7)!.slice();
    expect(keys.get(session(seed(2)), 7)).toEqual(mailboxKeys(seed(2), 7).header);
    expect(keys.get(session(seed(2)), 7)).not.toEqual(first);
    expect(keys.get(session(null), 7)).toBeNull();
  });

  it('wipes the keys it gave', () => {
    const keys = new RecvHeaderKeys();
    const k = keys.get(session(seed(3)), 9)!;
    keys.wipe();
    expect(k.every((b) => b === 0)).toBe(true);
    expect(keys.get(session(seed(3)), 9)).toEqual(mailboxKeys(seed(3), 9).header);
  });
});
