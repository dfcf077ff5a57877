/**
 * The composer's formatting shortcuts: Ctrl+B (⌘B) wraps the selection in **, Ctrl+I (⌘I) in __
 * (rich-text.ts's markers); the same keys on a wrapped selection unwrap it. Pure, so it is unit-tested;
 * Composer applies the edit so that the browser's undo takes it back.
 */
export type Marker = '**' | '__';

/** The marker a key press asks for, or null (any other key, or another modifier with it). */
export function formatShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'isComposing'>): Marker | null {
  if (e.isComposing || e.altKey || e.shiftKey || e.ctrlKey === e.metaKey) return null;
  const key = e.key.toLowerCase();
  return key === 'b' ? '**' : key === 'i' ? '__' : null;
}

/** Replace [start, end) of the field's value with `insert`, then select [selStart, selEnd). */
export type FieldEdit = { start: number; end: number; insert: string; selStart: number; selEnd: number };

/**
 * The edit that wraps the selection [start, end) of `value` in `marker`, the selection staying on the
 * same words; or unwraps it when the marker already stands on both sides. With nothing selected, an
 * empty pair is typed with the caret between.
 */
export function wrapSelection(value: string, start: number, end: number, marker: Marker): FieldEdit {
  const m = marker.length;
  const inner = value.slice(start, end);
  if (start >= m && value.slice(start - m, start) === marker && value.slice(end, end + m) === marker) {
    return { start: start - m, end: end + m, insert: inner, selStart: start - m, selEnd: end - m };
  }
  return { start, end, insert: marker + inner + marker, selStart: start + m, selEnd: end + m };
}
