// Server-side renders of the voice pieces: the composer shows the microphone in place of Send only
// when the field is empty and the screen can send voice; the bubble names its controls.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import Composer from '$lib/components/Composer.svelte';
import VoiceMessage from '$lib/components/VoiceMessage.svelte';
import { StillWindow as Still, icon } from '../support/still-window';

type Row = { id: string };
class StillWindow extends Still<Row> {}
const props = (win: StillWindow, onvoice?: () => void) => ({ win, placeholder: 'Message', attachLabel: 'Attach', onfile: () => {}, onvoice, icon });

describe('Composer with voice', () => {
  it('shows the microphone instead of Send while the field is empty', () => {
    const win = new StillWindow();
    const { body } = render(Composer<Row>, { props: props(win, () => {}) });
    expect(body).toContain('aria-label="Record a voice message"');
    expect(body).not.toContain('aria-label="Send"');
    expect(body).not.toContain('data-voice-recorder'); // the panel only while recording
  });
  it('shows Send once there is text, and never the microphone without onvoice', () => {
    const win = new StillWindow();
    win.draft = 'hello';
    expect(render(Composer<Row>, { props: props(win, () => {}) }).body).toContain('aria-label="Send"');
    expect(render(Composer<Row>, { props: props(win, () => {}) }).body).not.toContain('Record a voice message');
    const empty = new StillWindow();
    const plain = render(Composer<Row>, { props: props(empty) }).body;
    expect(plain).toMatch(/aria-label="Send"[^>]*disabled/);
    expect(plain).not.toContain('Record a voice message');
  });
});

describe('VoiceMessage', () => {
  const voice = { duration: 7300, waveform: [0, 128, 255, 64] };
  it('renders play, a labelled scrubber over the waveform and the duration', () => {
    const { body } = render(VoiceMessage, { props: { messageId: 'm1', source: 'secret', voice, mine: false } });
    expect(body).toContain('aria-label="Play voice message"');
    expect(body).toMatch(/<input type="range" min="0" max="7300"[^>]*aria-label="Voice message position"/);
    expect(body).toContain('aria-valuetext="0:00 of 0:07"');
    expect(body).toContain('data-voice-duration="7300"');
    expect((body.match(/<rect /g) ?? []).length).toBe(4);
    expect(body).toContain('>0:07</span>');
  });
  it('tells the recipient of a timed clip that playing starts its timer', () => {
    const { body } = render(VoiceMessage, { props: { messageId: 'm1', source: 'secret', voice, mine: false, ttl: 30 } });
    expect(body).toMatch(/aria-label="Play voice message\. Its self-destruct timer starts when you play it\."/);
    const mine = render(VoiceMessage, { props: { messageId: 'm1', source: 'secret', voice, mine: true, ttl: 30 } }).body;
    expect(mine).toContain('aria-label="Play your voice message"');
  });
});
