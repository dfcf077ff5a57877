// Server-side renders of the verification components: markup, accessibility
// attributes and that what is drawn equals the pure derivations.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import KeyPicture from '$lib/components/KeyPicture.svelte';
import KeyQr from '$lib/components/KeyQr.svelte';
import QrScanner from '$lib/components/QrScanner.svelte';
import { keyPictureCells, keyPicturePaths } from '$lib/verify/picture';
import { encodeQrMatrix, qrSvgPath } from '$lib/verify/qr-encode';
import vectors from '../../fixtures/verify-vectors.json';
import { fromHex } from './helpers';

const fp = fromHex(vectors.fingerprints[0].fingerprint);

describe('KeyPicture.svelte', () => {
  it('renders an accessible 12×12 SVG of the derived cells', () => {
    const { body } = render(KeyPicture, { props: { fingerprint: fp, size: 96 } });
    expect(body).toContain('role="img"');
    expect(body).toContain('aria-label="Encryption key picture"');
    expect(body).toContain('width="96"');
    for (const d of keyPicturePaths(keyPictureCells(fp)).filter(Boolean)) expect(body).toContain(`d="${d}"`);
  });

  it('accepts a custom label', () => {
    const { body } = render(KeyPicture, { props: { fingerprint: fp, label: 'Key picture for chat with Bob' } });
    expect(body).toContain('aria-label="Key picture for chat with Bob"');
  });
});

describe('KeyQr.svelte', () => {
  it('renders the QR path on a white background with quiet zone', () => {
    const text = vectors.qr[0].text;
    const m = encodeQrMatrix(text);
    const { body } = render(KeyQr, { props: { payload: text, size: 200 } });
    expect(body).toContain('role="img"');
    expect(body).toMatch(/aria-label="[^"]+"/);
    expect(body).toContain(`viewBox="0 0 ${m.size} ${m.size}"`);
    expect(body).toContain('fill="#fff"');
    expect(body).toContain(`d="${qrSvgPath(m)}"`);
  });
});

describe('QrScanner.svelte', () => {
  it('server-renders a named Stop control and a live status, without touching the camera', () => {
    const { body } = render(QrScanner, { props: { onresult: () => {} } });
    expect(body).toMatch(/<button[^>]*type="button"[^>]*>Stop scanning<\/button>/);
    expect(body).toContain('role="status"');
    expect(body).toContain('playsinline');
    expect(body).toMatch(/<video[^>]*aria-label="[^"]+"/);
  });

  it('leaves the one camera control to the page when told to (no second "Stop scanning")', () => {
    const { body } = render(QrScanner, { props: { onresult: () => {}, controls: false } });
    expect(body).not.toContain('<button');
    expect(body).toContain('role="status"');
  });
});
