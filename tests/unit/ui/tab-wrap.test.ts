// A modal dialog's Tab and Shift+Tab (ConfirmDialog, ForwardDialog): round its controls, never out.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wrapTab } from '$lib/ui/tab-wrap';

const controls = (n: number) => Array.from({ length: n }, () => ({ focus: vi.fn() }) as unknown as HTMLElement & { focus: ReturnType<typeof vi.fn> });
const tab = (shiftKey = false) => ({ shiftKey, preventDefault: vi.fn() }) as unknown as KeyboardEvent & { preventDefault: ReturnType<typeof vi.fn> };
const focusOn = (el: unknown) => vi.stubGlobal('document', { activeElement: el });

describe('wrapTab', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('moves to the next control, from the last back to the first, and keeps the browser from moving it', () => {
    const [a, b, c] = controls(3);
    focusOn(a);
    const e = tab();
    wrapTab(e, [a, b, c]);
    expect(b.focus).toHaveBeenCalledOnce();
    expect(e.preventDefault).toHaveBeenCalledOnce();
    focusOn(c);
    wrapTab(tab(), [a, b, c]);
    expect(a.focus).toHaveBeenCalledOnce();
  });

  it('Shift+Tab moves back, from the first round to the last', () => {
    const [a, b, c] = controls(3);
    focusOn(b);
    wrapTab(tab(true), [a, b, c]);
    expect(a.focus).toHaveBeenCalledOnce();
    focusOn(a);
    wrapTab(tab(true), [a, b, c]);
    expect(c.focus).toHaveBeenCalledOnce();
  });

  it('from outside the controls: Tab to the first, Shift+Tab to the last', () => {
    const [a, b] = controls(2);
    focusOn(null);
    wrapTab(tab(), [a, b]);
    expect(a.focus).toHaveBeenCalledOnce();
    wrapTab(tab(true), [a, b]);
    expect(b.focus).toHaveBeenCalledOnce();
  });
});
