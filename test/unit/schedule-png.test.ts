/**
 * The visual schedule as PNG (services/gateway/schedule-png.ts): the SVG of schedule.ts rendered
 * with the bundled fonts — a PNG of the SVG's size times the scale, its text drawn, the same bytes
 * for the same SVG.
 */
// png-js (pdfkit's PNG decoder) reads the image back: its pixels, RGBA.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PNG = require('png-js') as new (data: Buffer) => { width: number; height: number; decode(fn: (pixels: Buffer) => void): void };
import { svgToPng } from '../../services/gateway/schedule-png';

const pixelsOf = (png: Buffer) => new Promise<{ width: number; height: number; pixels: Buffer }>((resolve) => {
  const image = new PNG(png);
  image.decode((pixels) => resolve({ width: image.width, height: image.height, pixels }));
});

/** Dark pixels (text, lines) in the rows [top, bottom) of an RGBA image. */
function darkPixels(img: { width: number; pixels: Buffer }, top: number, bottom: number): number {
  let n = 0;
  for (let y = top; y < bottom; y += 1) {
    for (let x = 0; x < img.width; x += 1) {
      const i = (y * img.width + x) * 4;
      if (img.pixels[i]! < 100 && img.pixels[i + 1]! < 100 && img.pixels[i + 2]! < 100) n += 1;
    }
  }
  return n;
}

const svg = (title: string) => '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80" viewBox="0 0 400 80"'
  + ' font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" fill="#1d2330">'
  + `<text x="12" y="24" font-size="16" font-weight="bold">${title}</text><rect x="12" y="60" width="100" height="4" fill="#1d2330"/></svg>`;

describe('the schedule as PNG', () => {
  it('is a PNG of the SVG\'s size times the scale (2 by default), on white', async () => {
    const png = svgToPng(svg('Schedule of contract acme-001'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const img = await pixelsOf(png);
    expect([img.width, img.height]).toEqual([800, 160]);
    expect([...img.pixels.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
    const small = await pixelsOf(svgToPng(svg('x'), 1));
    expect([small.width, small.height]).toEqual([400, 80]);
  });

  it('draws the text with the bundled font (no system font needed): the title row is inked, more for a longer title', async () => {
    const long = await pixelsOf(svgToPng(svg('Schedule of contract acme-001')));
    const short = await pixelsOf(svgToPng(svg('S')));
    const none = await pixelsOf(svgToPng(svg('')));
    expect(darkPixels(none, 0, 60)).toBe(0);
    expect(darkPixels(short, 0, 60)).toBeGreaterThan(50);
    expect(darkPixels(long, 0, 60)).toBeGreaterThan(darkPixels(short, 0, 60) * 10);
    // The bar below the text is drawn in every case: 100 × 4 units at scale 2.
    expect(darkPixels(none, 120, 128)).toBe(200 * 8);
  });

  it('gives the same bytes for the same SVG', () => {
    expect(svgToPng(svg('Acme')).equals(svgToPng(svg('Acme')))).toBe(true);
    expect(svgToPng(svg('Acme')).equals(svgToPng(svg('Acne')))).toBe(false);
  });
});
