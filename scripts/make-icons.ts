/** Renders the SVG icons in static/icons to the PNG sizes the manifest lists (run by hand). */
import { chromium } from 'playwright';
import { readFileSync } from 'node:fs';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/support/chromium';

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
for (const [name, src] of [
  ['icon', 'icon.svg'],
  ['maskable', 'maskable.svg']
]) {
  const svg = readFileSync(`static/icons/${src}`, 'utf8');
  for (const size of [192, 512]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(
      `<style>html,body{margin:0;background:transparent}</style><img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" width="${size}" height="${size}">`
    );
    await page.screenshot({ path: `static/icons/${name}-${size}.png`, omitBackground: true });
    await page.close();
  }
}
await browser.close();
