/**
 * The visual schedule as PNG (docs/api.md "The visual schedule"): the SVG of schedule.ts rendered
 * by resvg (a Rust SVG renderer, prebuilt for the platform by npm) with DejaVu Sans from npm, so
 * the image is the same on every machine — no system font, no browser, no network. For e-mail
 * clients and tools that do not show SVG.
 */
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';

/** Where the bundled fonts are (the package's own files, not the system's). */
function fontFiles(): string[] {
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(dir, f));
}

let fonts: string[] | undefined;

/** Renders an SVG document as PNG at `scale` (2: sharp on high-density screens), on white. */
export function svgToPng(svg: string, scale = 2): Buffer {
  fonts ??= fontFiles();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: false, fontFiles: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
