/**
 * A chat window that never pages, sends, keeps a draft or hears the worker: enough to render the shared chat pieces
 * (Composer, MessageList, SelectionBar…) on the server and read their markup.
 */
import { createRawSnippet } from 'svelte';
import type { DraftIO, DraftSnapshot } from '$lib/chat/draft.svelte';
import { ChatWindow } from '$lib/chat/window.svelte';
import type { WorkerEvent } from '$lib/worker/protocol';

export class StillWindow<Row extends { id: string } = { id: string }> extends ChatWindow<Row> {
  constructor() {
    super(1000);
  }
  protected async older() {
    return { messages: [], hasMore: false };
  }
  protected async newer() {
    return { messages: [], hasNewer: false };
  }
  protected async latest() {}
  protected onEvent(_e: WorkerEvent) {}
  protected readonly kind: 'cloud' | 'secret' = 'cloud';
  protected chatId() {
    return 'still';
  }
  protected loadDraft: DraftIO<Row>['load'] = async () => null;
  protected async saveDraft(_chat: string, _draft: DraftSnapshot): Promise<unknown> {
    return undefined;
  }
  send = async () => {};
  onInput = () => {};
  deleteSelected = async () => {};
  async deleteFor() {}
}

/** An icon snippet (the attach button's). */
export const icon = createRawSnippet(() => ({ render: () => '<svg aria-hidden="true"></svg>' }));
