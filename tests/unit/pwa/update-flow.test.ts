import { describe, expect, it } from 'vitest';
import { beforeReload, holdReload, reloadHeld, saveBeforeReload } from '$lib/pwa/reload-guard';
import { UpdateFlow, whenUpdated, type UpdateEnv, type UpdatePhase } from '$lib/pwa/update-flow';

/** A tab: whether it is shown, whether a reload would lose something, what happened. */
function tab(opts: { visible?: boolean; held?: boolean; waiting?: boolean } = {}) {
  const t = {
    visible: opts.visible ?? true,
    held: opts.held ?? false,
    /** The drafts' save before a reload succeeds. */
    saves: true,
    waiting: opts.waiting ?? true,
    log: [] as string[],
    shown: 'none' as UpdatePhase,
    /** Resolves the clicked Reload's wait for the new worker (its fallback). */
    timeout: null as (() => void) | null,
    /** "Not now" answered to 'needed' for this build. */
    later: false
  };
  const env: UpdateEnv = {
    visible: () => t.visible,
    held: () => t.held,
    save: async () => (t.log.push('save'), t.saves),
    leave: async () => void t.log.push('leave'),
    reload: () => void t.log.push('reload'),
    activateWaiting: async () => {
      t.log.push(t.waiting ? 'activate' : 'nothing waits');
      return t.waiting;
    },
    show: (phase) => (t.shown = phase),
    neededDismissed: () => t.later,
    dismissNeeded: () => void (t.later = true)
  };
  const flow = new UpdateFlow(env, () => new Promise<void>((done) => (t.timeout = done)));
  return { t, flow };
}
const settle = () => new Promise((done) => setTimeout(done, 0));

describe('whenUpdated', () => {
  it('reloads the tab that asked, and hidden tabs; waits in a shown tab or one holding a picked file', () => {
    expect(whenUpdated({ asked: true, visible: true, held: true })).toBe('reload');
    expect(whenUpdated({ asked: false, visible: false, held: false })).toBe('reload');
    expect(whenUpdated({ asked: false, visible: true, held: false })).toBe('wait');
    expect(whenUpdated({ asked: false, visible: false, held: true })).toBe('wait');
  });
});

describe('UpdateFlow', () => {
  it('the tab that clicks Reload activates the waiting version and reloads once it controls the tab', async () => {
    const { t, flow } = tab();
    flow.waiting();
    expect(t.shown).toBe('waiting');
    const click = flow.reloadClicked();
    await settle();
    expect(t.log).toEqual(['save', 'leave', 'activate']);
    flow.controlling();
    await settle();
    expect(t.log).toEqual(['save', 'leave', 'activate', 'reload']);
    t.timeout?.(); // the fallback reload does not reload twice
    await click;
    expect(t.log).toEqual(['save', 'leave', 'activate', 'reload']);
  });

  it('a hidden tab that did not click reloads onto the new version when another tab activated it', async () => {
    const { t, flow } = tab({ visible: false });
    flow.waiting();
    flow.controlling();
    await settle();
    expect(t.log).toEqual(['save', 'leave', 'reload']);
  });

  it('a shown tab is not yanked: it says it was updated, and reloads once hidden', async () => {
    const { t, flow } = tab({ visible: true });
    flow.waiting();
    flow.controlling();
    await settle();
    expect(t.shown).toBe('updated');
    expect(t.log).toEqual([]);
    t.visible = false;
    flow.visibilityChanged();
    await settle();
    expect(t.log).toEqual(['save', 'leave', 'reload']);
  });

  it('a tab holding a picked file or an upload never reloads by itself; its Reload reloads directly', async () => {
    const { t, flow } = tab({ visible: false, held: true });
    flow.waiting();
    flow.controlling();
    flow.visibilityChanged();
    await settle();
    expect(t.shown).toBe('updated');
    expect(t.log).toEqual([]);
    // The new version already controls the tab: nothing waits, Reload reloads.
    await flow.reloadClicked();
    expect(t.log).toEqual(['save', 'leave', 'reload']);
  });

  it('a hidden tab whose drafts could not be saved does not reload by itself (the draft would be lost), and does once they are', async () => {
    const { t, flow } = tab({ visible: false });
    t.saves = false;
    flow.waiting();
    flow.controlling();
    await settle();
    expect(t.log).toEqual(['save']);
    expect(t.shown).toBe('updated');
    t.saves = true;
    flow.visibilityChanged();
    await settle();
    expect(t.log).toEqual(['save', 'save', 'leave', 'reload']);
  });

  it('a Reload the user clicks goes ahead even when a draft could not be saved', async () => {
    const { t, flow } = tab({ waiting: false });
    t.saves = false;
    flow.controlling();
    await flow.reloadClicked();
    expect(t.log).toEqual(['save', 'leave', 'reload']);
  });

  it("the banner's Reload reloads when nothing waits any more (another tab activated it, its event not seen)", async () => {
    const { t, flow } = tab({ waiting: false });
    flow.waiting();
    await flow.reloadClicked();
    expect(t.log).toEqual(['save', 'leave', 'nothing waits', 'reload']);
  });

  it('a clicked Reload reloads even when the new worker never takes over', async () => {
    const { t, flow } = tab();
    flow.waiting();
    const click = flow.reloadClicked();
    await settle();
    t.timeout?.();
    await click;
    expect(t.log).toEqual(['save', 'leave', 'activate', 'reload']);
  });
});

describe('UpdateFlow: data from a newer version', () => {
  it('asks to reload when this tab met a newer version’s chat, and Reload reloads (taking a waiting version if any)', async () => {
    const { t, flow } = tab({ waiting: false });
    flow.needed();
    expect(t.shown).toBe('needed');
    expect(t.log).toEqual([]); // never reloads by itself: the user may be reading
    await flow.reloadClicked();
    expect(t.log).toEqual(['save', 'leave', 'nothing waits', 'reload']);
  });

  it('a version found waiting afterwards takes over the prompt; one already there is not replaced', () => {
    const first = tab();
    first.flow.needed();
    first.flow.waiting();
    expect(first.t.shown).toBe('waiting');
    const second = tab();
    second.flow.waiting();
    second.flow.needed();
    expect(second.t.shown).toBe('waiting');
    second.flow.controlling();
    second.flow.needed();
    expect(second.t.shown).toBe('updated');
  });

  it('"Not now" hides the prompt for this build, also after a reload; a version found waiting is still offered', () => {
    const { t, flow } = tab({ waiting: false });
    flow.later(); // nothing to dismiss yet
    expect(t.later).toBe(false);
    flow.needed();
    flow.later();
    expect(t.shown).toBe('none');
    expect(t.later).toBe(true);
    expect(t.log).toEqual([]);
    // The chat that raised it is met again (the same tab, or after a reload of the same build).
    flow.needed();
    expect(t.shown).toBe('none');
    const reloaded = tab({ waiting: false });
    reloaded.t.later = true;
    reloaded.flow.needed();
    expect(reloaded.t.shown).toBe('none');
    // A real newer version installs meanwhile: offered as usual.
    flow.waiting();
    expect(t.shown).toBe('waiting');
    flow.later(); // only 'needed' can be put off
    expect(t.shown).toBe('waiting');
  });
});

describe('reload guard', () => {
  it('holds while any registered hold says so, until removed', () => {
    let picked: string | null = null;
    const off = holdReload(() => picked);
    expect(reloadHeld()).toBe(false);
    picked = 'photo.png';
    expect(reloadHeld()).toBe(true);
    off();
    expect(reloadHeld()).toBe(false);
  });

  it('saves what registered before a reload, each failure alone, without waiting on a store that does not answer', async () => {
    const saved: string[] = [];
    const offs = [beforeReload(async () => void saved.push('draft')), beforeReload(() => Promise.reject(new Error('locked'))), beforeReload(() => new Promise(() => {}))];
    // Not everything was saved: said so, for an automatic reload to wait.
    expect(await saveBeforeReload(50)).toBe(false);
    expect(saved).toEqual(['draft']);
    offs.forEach((off) => off());
    expect(await saveBeforeReload(50)).toBe(true);
    expect(saved).toEqual(['draft']);
  });

  it('says when a save reported that it did not store, or did not finish in time', async () => {
    let off = beforeReload(async () => false);
    expect(await saveBeforeReload(50)).toBe(false);
    off();
    off = beforeReload(() => new Promise(() => {}));
    expect(await saveBeforeReload(50)).toBe(false);
    off();
    off = beforeReload(async () => true);
    expect(await saveBeforeReload(50)).toBe(true);
    off();
  });
});
