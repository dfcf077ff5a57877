import { describe, expect, it } from 'vitest';
import { MEDIA_MAX, MEDIA_PLACEHOLDER, mediaBox, mediaKind, validDim } from '$lib/chat/media-kind';

describe('mediaKind', () => {
  it('names the viewer by MIME type, ignoring case and parameters', () => {
    expect(mediaKind('image/png')).toBe('image');
    expect(mediaKind('IMAGE/JPEG')).toBe('image');
    expect(mediaKind('video/webm;codecs=vp8')).toBe('video');
    expect(mediaKind('audio/ogg; codecs=opus')).toBe('audio');
    expect(mediaKind('application/pdf')).toBe('pdf');
    expect(mediaKind('text/plain; charset=utf-8')).toBe('text');
    expect(mediaKind('text/html')).toBe('text');
    expect(mediaKind('application/json')).toBe('text');
  });

  it('treats anything else, or a malformed type, as a file with no preview', () => {
    expect(mediaKind('application/octet-stream')).toBe('other');
    expect(mediaKind('application/zip')).toBe('other');
    expect(mediaKind('')).toBe('other');
    expect(mediaKind('image/')).toBe('other');
    expect(mediaKind('image')).toBe('other');
    expect(mediaKind('imagex/png')).toBe('other');
  });
});

describe('mediaBox', () => {
  it('keeps a small picture at its own size', () => {
    expect(mediaBox(100, 50)).toEqual({ width: 100, height: 50 });
  });

  it('scales a large picture down to fit, keeping its shape', () => {
    expect(mediaBox(1000, 500)).toEqual({ width: MEDIA_MAX.width, height: 140 });
    expect(mediaBox(500, 1000)).toEqual({ width: 160, height: MEDIA_MAX.height });
    expect(mediaBox(512, 512)).toEqual({ width: 280, height: 280 });
  });

  it('never collapses an extreme shape to zero', () => {
    expect(mediaBox(16384, 1)).toEqual({ width: 280, height: 1 });
  });

  it('gives media without a size (old messages) or with a nonsense one the placeholder box', () => {
    const ph = { width: MEDIA_PLACEHOLDER.width, height: MEDIA_PLACEHOLDER.height };
    expect(mediaBox(undefined, undefined)).toEqual(ph);
    expect(mediaBox(0, 100)).toEqual(ph);
    expect(mediaBox(-5, 100)).toEqual(ph);
    expect(mediaBox(1.5, 100)).toEqual(ph);
    expect(mediaBox(100, 20000)).toEqual(ph);
    expect(mediaBox(Number.NaN, 100)).toEqual(ph);
  });

  it('fits a custom maximum', () => {
    expect(mediaBox(400, 400, { width: 200, height: 100 })).toEqual({ width: 100, height: 100 });
    expect(mediaBox(undefined, 1, { width: 100, height: 100 })).toEqual({ width: 100, height: 100 });
  });

  it('validDim accepts only whole pixels in range', () => {
    expect(validDim(1)).toBe(true);
    expect(validDim(16384)).toBe(true);
    expect(validDim(16385)).toBe(false);
    expect(validDim('10')).toBe(false);
  });
});
