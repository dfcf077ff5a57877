import { describe, expect, it } from 'vitest';
import { platformOf } from '$lib/pwa/platform';
import { pushUnsupportedMessage, type PushFeatures } from '$lib/pwa/push-support';

const UA = {
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  iphoneChrome: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0 Mobile/15E148 Safari/604.1',
  // iPadOS asks for the desktop site by default: only the touch points tell it from a Mac.
  ipad: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  macChrome: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0',
  webkitgtk: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15'
};

describe('platform from the user agent', () => {
  it('knows iPhone and iPad in any browser, and Safari on a Mac', () => {
    expect(platformOf(UA.iphone)).toEqual({ ios: true, macSafari: false });
    expect(platformOf(UA.iphoneChrome)).toEqual({ ios: true, macSafari: false });
    expect(platformOf(UA.ipad, 5)).toEqual({ ios: true, macSafari: false });
    expect(platformOf(UA.ipad, 0)).toEqual({ ios: false, macSafari: true });
    expect(platformOf(UA.macChrome)).toEqual({ ios: false, macSafari: false });
    expect(platformOf(UA.firefox)).toEqual({ ios: false, macSafari: false });
    expect(platformOf(UA.webkitgtk)).toEqual({ ios: false, macSafari: false });
  });
});

describe('why notifications are unavailable', () => {
  const all: PushFeatures = { serviceWorker: true, notification: true, pushManager: true, standalone: false };
  const noPush: PushFeatures = { ...all, notification: false, pushManager: false };

  it('says nothing where Web Push exists', () => {
    expect(pushUnsupportedMessage(platformOf(UA.firefox), all)).toBeNull();
    expect(pushUnsupportedMessage(platformOf(UA.iphone), { ...all, standalone: true })).toBeNull();
  });

  it('sends an iPhone user in a Safari tab to the Home Screen', () => {
    const m = pushUnsupportedMessage(platformOf(UA.iphone), noPush);
    expect(m).toMatch(/Home Screen/);
    expect(m).toMatch(/Share/);
    expect(pushUnsupportedMessage(platformOf(UA.ipad, 5), noPush)).toMatch(/Add to Home Screen/);
  });

  it('asks for a newer iOS when the Home Screen app still has no push', () => {
    expect(pushUnsupportedMessage(platformOf(UA.iphone), { ...noPush, standalone: true })).toMatch(/iOS 16\.4/);
  });

  it('is generic elsewhere', () => {
    expect(pushUnsupportedMessage(platformOf(UA.webkitgtk), noPush)).toBe("This browser doesn't support notifications for web apps.");
    expect(pushUnsupportedMessage(platformOf(UA.firefox), { ...all, pushManager: false })).toBe("This browser doesn't support notifications for web apps.");
  });
});
