// The gestures that open a row's menu (src/lib/ui/row-menu.ts): a right click, a long press that does
// not move (its click swallowed), the keyboard's context-menu key (anchored at the row); and the
// cleanup takes off every listener it put on, in the same phase.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOLD_MS, rowMenuGestures, SLOP } from '$lib/ui/row-menu';

/** An element of the list: `closest` finds the row (or the row's own menu button) it is in. */
class FakeElement {
  constructor(private readonly inside: Record<string, FakeElement | null> = {}) {}
  closest(selector: string) {
    return this.inside[selector] ?? null;
  }
  getBoundingClientRect() {
    return { left: 10, width: 100, bottom: 50 } as DOMRect;
  }
}

type Listener = { type: string; fn: (e: unknown) => void; capture: boolean };

/** A list that records its listeners and hands events to them. */
function fakeList() {
  const on: Listener[] = [];
  const capture = (o?: boolean | AddEventListenerOptions) => (typeof o === 'boolean' ? o : !!o?.capture);
  const list = {
    addEventListener: (type: string, fn: (e: unknown) => void, o?: boolean | AddEventListenerOptions) => void on.push({ type, fn, capture: capture(o) }),
    removeEventListener: (type: string, fn: (e: unknown) => void, o?: boolean | AddEventListenerOptions) => {
      const i = on.findIndex((l) => l.type === type && l.fn === fn && l.capture === capture(o));
      if (i >= 0) on.splice(i, 1);
    }
  };
  const fire = (type: string, e: Record<string, unknown>) => {
    const event = { preventDefault: vi.fn(), stopPropagation: vi.fn(), button: 0, clientX: 0, clientY: 0, ...e };
    for (const l of on.filter((x) => x.type === type)) l.fn(event);
    return event;
  };
  return { list: list as unknown as HTMLElement, on, fire };
}

describe('row menu gestures', () => {
  const row = new FakeElement();
  const inRow = new FakeElement({ '[data-row]': row });
  const onButton = new FakeElement({ '[data-row]': row, '.menu-button': new FakeElement() });
  type Open = (row: HTMLElement, x: number, y: number) => void;
  let open: ReturnType<typeof vi.fn<Open>>;
  let l: ReturnType<typeof fakeList>;
  let stop: () => void;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('Element', FakeElement);
    open = vi.fn<Open>();
    l = fakeList();
    stop = rowMenuGestures(l.list, { row: '[data-row]', skip: '.menu-button', open });
  });
  afterEach(() => {
    stop();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('a right click opens the menu at the pointer and keeps the browser menu away; outside a row nothing', () => {
    const e = l.fire('contextmenu', { target: inRow, clientX: 30, clientY: 40 });
    expect(open).toHaveBeenCalledWith(row, 30, 40);
    expect(e.preventDefault).toHaveBeenCalled();
    l.fire('contextmenu', { target: new FakeElement(), clientX: 1, clientY: 1 });
    expect(open).toHaveBeenCalledOnce();
  });

  it("the keyboard's context-menu key (no pointer position) anchors the menu under the row", () => {
    l.fire('contextmenu', { target: inRow });
    expect(open).toHaveBeenCalledWith(row, 60, 50);
  });

  it('a long press opens it after HOLD_MS and swallows the click that ends it; the next click goes through', () => {
    l.fire('pointerdown', { target: inRow, clientX: 5, clientY: 5 });
    vi.advanceTimersByTime(HOLD_MS - 1);
    expect(open).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(open).toHaveBeenCalledWith(row, 5, 5);
    const swallowed = l.fire('click', { target: inRow });
    expect(swallowed.preventDefault).toHaveBeenCalled();
    expect(swallowed.stopPropagation).toHaveBeenCalled();
    expect(l.fire('click', { target: inRow }).preventDefault).not.toHaveBeenCalled();
  });

  it('a press that moves more than SLOP, is lifted or cancelled, starts on the menu button or is not the main button opens nothing', () => {
    l.fire('pointerdown', { target: inRow, clientX: 0, clientY: 0 });
    l.fire('pointermove', { clientX: SLOP, clientY: 0 });
    l.fire('pointermove', { clientX: SLOP + 1, clientY: 0 });
    for (const end of ['pointerup', 'pointercancel']) {
      l.fire('pointerdown', { target: inRow });
      l.fire(end, {});
    }
    l.fire('pointerdown', { target: onButton });
    l.fire('pointerdown', { target: inRow, button: 2 });
    vi.advanceTimersByTime(HOLD_MS * 2);
    expect(open).not.toHaveBeenCalled();
  });

  it('listens on the list only (the click in the capture phase), and the cleanup takes every listener off, a press under way too', () => {
    expect(l.on.map((x) => `${x.type}${x.capture ? ' (capture)' : ''}`).sort()).toEqual(
      ['click (capture)', 'contextmenu', 'pointercancel', 'pointerdown', 'pointermove', 'pointerup'].sort()
    );
    l.fire('pointerdown', { target: inRow });
    stop();
    expect(l.on).toEqual([]);
    vi.advanceTimersByTime(HOLD_MS);
    expect(open).not.toHaveBeenCalled();
  });
});
