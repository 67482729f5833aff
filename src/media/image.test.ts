import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { animatedGif, jpegPhoto, phonePhoto } from '../test/media-fixtures.js';
import { withPeakRss } from '../test/uploads.js';
import type { DetectedType } from './file-type.js';
import { ImageProcessor } from './image.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'payamak-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const JPEG: DetectedType = { kind: 'IMAGE', mime: 'image/jpeg', ext: 'jpg' };
const PNG: DetectedType = { kind: 'IMAGE', mime: 'image/png', ext: 'png' };
const GIF: DetectedType = { kind: 'IMAGE', mime: 'image/gif', ext: 'gif' };
const WEBP: DetectedType = { kind: 'IMAGE', mime: 'image/webp', ext: 'webp' };

async function input(bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `in${++counter}`);
  await writeFile(file, bytes);
  return file;
}
const outputs = () => ({ main: path.join(dir, `main${++counter}`), thumbnail: path.join(dir, `thumb${++counter}`) });

describe('ImageProcessor', () => {
  it('processes a 12-megapixel photo in well under a second (measured)', async () => {
    const file = await input(await jpegPhoto(4000, 3000));
    const images = new ImageProcessor();
    await images.process(file, JPEG, outputs()); // warm-up: libvips loads its JPEG code once
    const started = performance.now();
    const { result, peakGrowth } = await withPeakRss(() => images.process(file, JPEG, outputs()));
    const ms = performance.now() - started;
    console.info(`[measure] 12 MP JPEG processed (orient, strip, 2560 px re-encode, 320 px webp thumbnail) in ${Math.round(ms)} ms; peak RSS growth ${(peakGrowth / 2 ** 20).toFixed(1)} MiB`);
    expect(result.main).toMatchObject({ width: 2560, height: 1920, mime: 'image/jpeg' });
    expect(result.thumbnail).toMatchObject({ width: 320, height: 240 });
    expect(ms).toBeLessThan(5000);
  });

  it('keeps an animated WebP animated, and thumbnails its first frame', async () => {
    const webp = await sharp(await animatedGif(3, 50, 30), { animated: true }).webp().toBuffer();
    const { main, thumbnail } = await new ImageProcessor().process(await input(webp), WEBP, outputs());
    expect(main).toMatchObject({ width: 50, height: 30, mime: 'image/webp' });
    expect((await sharp(main.path, { animated: true }).metadata()).pages).toBe(3);
    expect((await sharp(thumbnail.path, { animated: true }).metadata()).pages ?? 1).toBe(1);
  });

  it('crops avatars square from the oriented picture, without enlarging small ones', async () => {
    const images = new ImageProcessor();
    const big = await images.avatar(await input(await phonePhoto('jpeg', 1200, 700)), JPEG, outputs());
    expect(big.main).toMatchObject({ width: 512, height: 512, mime: 'image/webp' });
    expect(big.thumbnail).toMatchObject({ width: 128, height: 128 });
    const small = await images.avatar(await input(await phonePhoto('png', 300, 200)), PNG, outputs());
    expect(small.main).toMatchObject({ width: 200, height: 200 });
  });

  it('counts every frame of an animation against the pixel limit', async () => {
    const images = new ImageProcessor({ maxPixels: 50_000 });
    const gif = await input(await animatedGif(10, 100, 100)); // 10 × 10,000 pixels
    await expect(images.process(gif, GIF, outputs())).rejects.toMatchObject({
      extensions: { code: 'PAYLOAD_TOO_LARGE' },
      message: 'The image is 100×100 in 10 frames (0.1 megapixels); at most 0.1 megapixels are accepted',
    });
  });

  it('refuses damaged images and bytes that are not the announced format', async () => {
    const png = await phonePhoto('png', 200, 200);
    const images = new ImageProcessor();
    const truncated = await input(png.subarray(0, png.length - 200));
    await expect(images.process(truncated, PNG, outputs())).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'file' } });
    await expect(images.process(await input(png), JPEG, outputs())).rejects.toMatchObject({ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });
});
