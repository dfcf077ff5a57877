// Settings' display name field following my name changed on another device (follow-field.ts).
import { describe, expect, it } from 'vitest';
import { followField } from '$lib/ui/follow-field';

describe('followField', () => {
  it('takes the new value while the field still shows the old one', () => {
    expect(followField('Alice', 'Alice', 'Alice A.')).toBe('Alice A.');
  });

  it('keeps what the person typed', () => {
    expect(followField('Ali', 'Alice', 'Alice A.')).toBe('Ali');
    expect(followField('', 'Alice', 'Alice A.')).toBe('');
  });
});
