/**
 * Tab and Shift+Tab inside a modal dialog (ConfirmDialog, ForwardDialog) go round its controls, from
 * the last back to the first and the other way. The modal already makes the page behind inert; this
 * keeps Tab from leaving for the browser's own UI.
 */
export function wrapTab(e: KeyboardEvent, items: readonly HTMLElement[]): void {
  const i = items.indexOf(document.activeElement as HTMLElement);
  e.preventDefault();
  items[e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === items.length - 1 ? 0 : i + 1]?.focus();
}
