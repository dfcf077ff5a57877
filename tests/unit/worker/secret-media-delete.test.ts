import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

// The engine reaches the relay only through its injected SecretRelay: any direct HTTP call fails here.
vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('secret-media-delete');

/**
 * A deleted message's attachment leaves the device in the same commit (it stayed in `secretMedia`,
 * still decryptable with the vault key), and the relay's copy goes too where this device may delete it.
 */
describe('a secret attachment goes with its message', () => {
  /** Alice sends a file; Bob has the message, and has opened (downloaded) it when `opened`. */
  async function sent(opened: boolean) {
    const pair = await established();
    const { relay, alice, bob, chatId } = pair;
    const id = await alice.engine.sendFile(chatId, 'photo.jpg', 'image/jpeg', crypto.getRandomValues(new Uint8Array(3000)), 'look');
    await alice.engine.flush();
    await deliver(relay, bob);
    const blobId = (await alice.db.secretMessages.get(id))!.blobId!;
    expect(relay.hasBlob(blobId)).toBe(true);
    if (opened) await bob.engine.media(id);
    expect(await alice.db.secretMedia.count()).toBe(1);
    expect(await bob.db.secretMedia.count()).toBe(opened ? 1 : 0);
    return { ...pair, id, blobId };
  }
  const media = (d: SecretDevice) => d.db.secretMedia.count();

  it('delete for both: gone on both devices and at the relay', async () => {
    const { relay, alice, bob, chatId, id, blobId } = await sent(false);
    await alice.engine.deleteMessages(chatId, [id]);
    expect(await media(alice)).toBe(0);
    expect(relay.hasBlob(blobId)).toBe(false);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await bob.db.secretMessages.get(id)).toBeUndefined();
    expect(await media(bob)).toBe(0);
  });

  it("the peer's delete order takes the file it had opened", async () => {
    const { relay, alice, bob, chatId, id } = await sent(true);
    await alice.engine.deleteMessages(chatId, [id]);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await media(bob)).toBe(0);
  });

  it("delete for me: the recipient's copy and the relay's go, the sender keeps its own", async () => {
    const opened = await sent(true);
    await opened.bob.engine.deleteForMe(opened.chatId, [opened.id]);
    expect(await media(opened.bob)).toBe(0);
    expect(await media(opened.alice)).toBe(1);
    // Not opened yet: the relay's copy was for this device only.
    const { relay, bob, chatId, id, blobId } = await sent(false);
    await bob.engine.deleteForMe(chatId, [id]);
    expect(relay.hasBlob(blobId)).toBe(false);
  });

  it('delete for me by the sender: its copy goes, the relay keeps the one the peer still fetches', async () => {
    const { relay, alice, bob, chatId, id, blobId } = await sent(false);
    await alice.engine.deleteForMe(chatId, [id]);
    expect(await media(alice)).toBe(0);
    expect(relay.hasBlob(blobId)).toBe(true);
    expect((await bob.engine.media(id)).name).toBe('photo.jpg');
  });

  it('clear history: gone on both devices and at the relay', async () => {
    const { relay, alice, bob, chatId, blobId } = await sent(false);
    await alice.engine.clearHistory(chatId);
    expect(await media(alice)).toBe(0);
    expect(relay.hasBlob(blobId)).toBe(false);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await bob.db.secretMessages.count()).toBe(1); // the "cleared" notice
    expect(await media(bob)).toBe(0);
  });

  it('delete chat: gone here, and at the peer once it hears of it', async () => {
    const { relay, alice, bob, chatId } = await sent(true);
    await bob.engine.deleteChat(chatId);
    expect(await media(bob)).toBe(0);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await media(alice)).toBe(0);
  });
});
