/**
 * The gestures that open a row's menu in a list (a chat's messages, the chat list): a right click,
 * a long press (HOLD_MS without moving more than SLOP px), or the keyboard's context-menu key.
 * Delegated from the list, so rows that come and go (paging) need nothing of their own.
 */

/** How long a press is held before the menu opens (ms), and how far it may move meanwhile (px). */
export const HOLD_MS = 500;
export const SLOP = 10;

export interface RowMenuGestures {
  /** The rows' selector (`closest` from the event's target). */
  row: string;
  /** A press starting inside this (the row's own menu button) is no long press. */
  skip: string;
  /** Where the menu goes when the keyboard opened it (no pointer position); the row's box by default. */
  anchor?: (row: HTMLElement) => DOMRect;
  /** Opens `row`'s menu at the viewport point (x, y). */
  open: (row: HTMLElement, x: number, y: number) => void;
}

/** An event of the list, its handler, and whether it listens in the capture phase. */
type Listener = { [K in keyof HTMLElementEventMap]: [type: K, handler: (e: HTMLElementEventMap[K]) => void, capture?: boolean] }[keyof HTMLElementEventMap];

/** Listens on `list` until the returned function is called (an `$effect`'s cleanup). */
export function rowMenuGestures(list: HTMLElement, g: RowMenuGestures): () => void {
  let press: { x: number; y: number; timer: ReturnType<typeof setTimeout> } | null = null;
  let swallowClick = false;
  const rowOf = (t: EventTarget | null) => (t instanceof Element ? t.closest<HTMLElement>(g.row) : null);
  const cancel = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  const open = (row: HTMLElement, x: number, y: number) => {
    if (!x && !y) {
      // A keyboard's context-menu key: no pointer position, so at the row.
      const r = g.anchor?.(row) ?? row.getBoundingClientRect();
      x = r.left + r.width / 2;
      y = r.bottom;
    }
    g.open(row, x, y);
  };
  const oncontextmenu = (e: MouseEvent) => {
    const row = rowOf(e.target);
    if (!row) return;
    e.preventDefault();
    cancel();
    open(row, e.clientX, e.clientY);
  };
  const onpointerdown = (e: PointerEvent) => {
    swallowClick = false;
    cancel();
    const row = rowOf(e.target);
    if (!row || e.button !== 0 || (e.target as Element).closest(g.skip)) return;
    const { clientX: x, clientY: y } = e;
    press = {
      x,
      y,
      timer: setTimeout(() => {
        press = null;
        // The click that ends this press must not also act on the row (open the chat, select the message).
        swallowClick = true;
        open(row, x, y);
      }, HOLD_MS)
    };
  };
  const onpointermove = (e: PointerEvent) => {
    if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > SLOP) cancel();
  };
  const onclick = (e: MouseEvent) => {
    if (!swallowClick) return;
    swallowClick = false;
    e.preventDefault();
    e.stopPropagation();
  };
  // One table for both: what is put on is exactly what the cleanup takes off (the click in the
  // capture phase, before the row's own handler sees it).
  const listeners: Listener[] = [
    ['contextmenu', oncontextmenu],
    ['pointerdown', onpointerdown],
    ['pointermove', onpointermove],
    ['pointerup', cancel],
    ['pointercancel', cancel],
    ['click', onclick, true]
  ];
  for (const [type, fn, capture] of listeners) list.addEventListener(type, fn as EventListener, capture);
  return () => {
    cancel();
    for (const [type, fn, capture] of listeners) list.removeEventListener(type, fn as EventListener, capture);
  };
}
