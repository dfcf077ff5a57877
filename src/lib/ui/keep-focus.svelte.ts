/**
 * Keeps the keyboard focus on an element inside `container` while a keyed list re-sorts around it.
 * A keyed `{#each}` moves rows by re-inserting their nodes, and a focused node that is re-inserted
 * loses the focus to the page: the next key press (Enter on a row's "…") would go nowhere.
 * Call during a component's initialisation; `rows` is read so that every new order is watched.
 */
export function keepFocusWhileSorting(container: () => HTMLElement | undefined, rows: () => unknown): void {
  let focused: HTMLElement | null = null;
  // Before the list's DOM changes: what had the focus.
  $effect.pre(() => {
    rows();
    const list = container();
    const active = document.activeElement;
    focused = list && active instanceof HTMLElement && list.contains(active) ? active : null;
  });
  // After: if it is still there but the focus fell to the page (nothing else took it), give it back.
  $effect(() => {
    rows();
    const el = focused;
    focused = null;
    if (el?.isConnected && document.activeElement !== el && (document.activeElement === null || document.activeElement === document.body)) {
      el.focus({ preventScroll: true });
    }
  });
}
