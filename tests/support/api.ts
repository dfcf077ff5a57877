/**
 * The relay's HTTP API driven straight from Node, for tests and benches that need a user or a long
 * history without clicking through the UI.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface ApiUser {
  username: string;
  userId: string;
  token: string;
}

/** Signs up through the HTTP API with throwaway device keys (for a sender that never decrypts). */
export async function signUpApi(url: string, username: string, password: string): Promise<ApiUser> {
  const b64u = (n: number) => randomBytes(n).toString('base64url');
  const res = await fetch(`${url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, device: { name: 'api', signPub: b64u(32), dhPub: b64u(32) } })
  });
  if (res.status !== 201) throw new Error(`signup ${res.status}: ${await res.text()}`);
  const token = /cinder_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  const s = (await res.json()) as { user: { id: string } };
  return { username, userId: s.user.id, token };
}

/** Sends `n` cloud messages from `from` to `toUserId` with `parallel` requests in flight. */
export async function sendCloud(url: string, from: ApiUser, toUserId: string, n: number, parallel = 8, text = (i: number) => `message ${i} ${'x'.repeat(40)}`) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const res = await fetch(`${url}/api/cloud/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${from.token}` },
        body: JSON.stringify({ id: randomUUID(), toUserId, text: text(i) })
      });
      if (!res.ok) throw new Error(`send ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Deletes cloud messages for both sides of `from`'s chat with `peerId`. */
export async function deleteCloud(url: string, from: ApiUser, peerId: string, ids: string[]) {
  const res = await fetch(`${url}/api/cloud/chats/${encodeURIComponent(peerId)}/delete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${from.token}` },
    body: JSON.stringify({ ids })
  });
  if (!res.ok) throw new Error(`delete ${res.status}: ${await res.text()}`);
}
