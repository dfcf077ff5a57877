import { describe, expect, it, vi } from 'vitest';
import { platformOf } from '$lib/pwa/platform';
import { persistState, persistText, requestPersist } from '$lib/pwa/storage-persist';

const UA = {
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  macSafari: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'
};

describe('storage persistence', () => {
  it('reads the state, and says unknown when the API is missing or throws', async () => {
    expect(await persistState({ persisted: async () => true })).toBe('protected');
    expect(await persistState({ persisted: async () => false })).toBe('unprotected');
    expect(await persistState(undefined)).toBe('unknown');
    expect(await persistState({} as never)).toBe('unknown');
    expect(await persistState({ persisted: () => Promise.reject(new TypeError('opaque origin')) })).toBe('unknown');
  });

  it('asks only when not yet persisted, and reports what the browser decided', async () => {
    let granted = false;
    const persist = vi.fn(async () => (granted = true));
    expect(await requestPersist({ persisted: async () => granted, persist })).toBe('protected');
    expect(persist).toHaveBeenCalledTimes(1);
    expect(await requestPersist({ persisted: async () => granted, persist })).toBe('protected');
    expect(persist).toHaveBeenCalledTimes(1);
    const refused = vi.fn(async () => false);
    expect(await requestPersist({ persisted: async () => false, persist: refused })).toBe('unprotected');
    // Workers have persisted() but no persist().
    expect(await requestPersist({ persisted: async () => false })).toBe('unprotected');
  });

  it('words each state for the user', () => {
    const desktop = platformOf(UA.firefox);
    const iphone = platformOf(UA.iphone);
    expect(persistText('protected', desktop, false)).toEqual({ label: 'Protected', detail: expect.stringMatching(/won't clear Cinder's data on its own/) });
    expect(persistText('unknown', desktop, false).label).toBe("Can't be checked");
    const tab = persistText('unprotected', iphone, false);
    expect(tab.label).toBe('Not protected');
    expect(tab.detail).toMatch(/7 days/);
    expect(tab.detail).toMatch(/Add to Home Screen/);
    expect(persistText('unprotected', iphone, true).detail).not.toMatch(/Add to Home Screen/);
    expect(persistText('unprotected', platformOf(UA.macSafari), false).detail).toMatch(/7 days/);
    const other = persistText('unprotected', desktop, false).detail;
    expect(other).toMatch(/low on space/);
    expect(other).not.toMatch(/7 days/);
  });
});
