/**
 * Which Chromium the browser tests drive: Debian's /usr/bin/chromium when present (machines
 * that cannot download Playwright's build), else Playwright's own (CHROMIUM_PATH overrides).
 */
import { existsSync } from 'node:fs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Chromium 156 starts a WebUI renderer for its own address-bar popup (chrome://omnibox-popup.top-chrome)
  // with each new window, headless too: 180-270 ms of CPU in the first 400 ms of a page load, on a
  // 2-core machine. An installed app's window has no address bar, so neither tests nor benchmarks
  // should pay for it. (Unknown feature names are ignored by other Chromium builds.)
  '--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup'
];

export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  return undefined;
}
