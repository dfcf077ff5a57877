/** A phone-sized window for every engine (WebKit's window manager may round it up a little). */
export const VIEWPORT = { width: 390, height: 800 };
