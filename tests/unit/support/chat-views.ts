/** Chat list entries as the worker hands them to the pages, for tests of the list's UI logic. */
import type { ChatView } from '$lib/worker/protocol';

/** A cloud chat with `name` (its display name in capitals), nothing unread, `over` on top. */
export const cloudChat = (name: string, over: Partial<ChatView> = {}): ChatView => ({
  kind: 'cloud',
  id: `u-${name}`,
  peer: { id: `u-${name}`, username: name, displayName: name.toUpperCase() },
  preview: 'hi',
  previewMine: false,
  lastAt: 1,
  unread: 0,
  ...over
});
