// The composer's formatting shortcuts: which keys, and the edit they make to the field.
import { describe, expect, it } from 'vitest';
import { formatShortcut, wrapSelection, type FieldEdit } from '$lib/chat/format-keys';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'isComposing', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  isComposing: false,
  ...mods
});

/** The field's value after `edit`, with the selection shown as [ ]. */
const apply = (value: string, e: FieldEdit) => {
  const v = value.slice(0, e.start) + e.insert + value.slice(e.end);
  return v.slice(0, e.selStart) + '[' + v.slice(e.selStart, e.selEnd) + ']' + v.slice(e.selEnd);
};

describe('formatShortcut', () => {
  it('Ctrl or ⌘ with B or I, and nothing else', () => {
    expect(formatShortcut(key('b', { ctrlKey: true }))).toBe('**');
    expect(formatShortcut(key('B', { metaKey: true }))).toBe('**');
    expect(formatShortcut(key('i', { ctrlKey: true }))).toBe('__');
    expect(formatShortcut(key('b'))).toBeNull();
    expect(formatShortcut(key('b', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(formatShortcut(key('b', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(formatShortcut(key('b', { ctrlKey: true, metaKey: true }))).toBeNull();
    expect(formatShortcut(key('b', { ctrlKey: true, isComposing: true }))).toBeNull();
    expect(formatShortcut(key('u', { ctrlKey: true }))).toBeNull();
  });
});

describe('wrapSelection', () => {
  it('wraps the selected words, keeping them selected', () => {
    expect(apply('see you soon', wrapSelection('see you soon', 4, 7, '**'))).toBe('see **[you]** soon');
    expect(apply('see you soon', wrapSelection('see you soon', 0, 12, '__'))).toBe('__[see you soon]__');
  });

  it('unwraps words already wrapped in that marker', () => {
    expect(apply('see **you** soon', wrapSelection('see **you** soon', 6, 9, '**'))).toBe('see [you] soon');
    // Another marker around them: wrapped again, inside it.
    expect(apply('see **you** soon', wrapSelection('see **you** soon', 6, 9, '__'))).toBe('see **__[you]__** soon');
  });

  it('types an empty pair with the caret between when nothing is selected', () => {
    expect(apply('hi ', wrapSelection('hi ', 3, 3, '**'))).toBe('hi **[]**');
  });
});
