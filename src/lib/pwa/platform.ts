/**
 * What the user agent says about the platform, for the words Settings shows (never for deciding
 * which code runs: that is feature detection). Pure, so it is unit-tested with sample user agents.
 */
export interface Platform {
  /** iPhone or iPad, in any browser: all of them are WebKit and share Safari's rules. */
  ios: boolean;
  /** Safari on a Mac (WebKit's storage and push rules apply there too). */
  macSafari: boolean;
}

export function platformOf(ua: string, maxTouchPoints = 0): Platform {
  // iPadOS 13+ says "Macintosh" by default; a touch screen gives it away.
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && maxTouchPoints > 1);
  const macSafari = !ios && /Macintosh/.test(ua) && /Safari\//.test(ua) && !/Chrome|Chromium|CriOS|Edg|Firefox|FxiOS|OPR/.test(ua);
  return { ios, macSafari };
}

/** The platform of this browser (pages only). */
export const thisPlatform = (): Platform => platformOf(navigator.userAgent, navigator.maxTouchPoints ?? 0);

/** Running as an installed app (home screen or dock), not in a browser tab. */
export const isStandalone = (): boolean => matchMedia('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true;
