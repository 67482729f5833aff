import { availableParallelism } from 'node:os';
import sharp, { type FormatEnum, type Metadata, type Sharp } from 'sharp';
import { badInput } from '../lib/errors.js';
import type { DetectedType } from './file-type.js';
import { MediaLimits } from './limits.js';
import { payloadTooLarge, unsupportedMediaType } from './media-errors.js';

// libvips' operation cache keeps decoded pixels of recent inputs (50 MB by
// default); every input here is a one-off temporary file, so it only costs memory.
sharp.cache(false);

/** One encoded image written to a file. */
export interface EncodedImage {
  path: string;
  size: number;
  width: number;
  height: number;
}

/** An image ready to store: the re-encoded picture and its webp thumbnail. */
export interface ProcessedImage {
  main: EncodedImage & { mime: string };
  thumbnail: EncodedImage;
}

/** Options for {@link ImageProcessor}. Defaults are {@link MediaLimits}. */
export interface ImageProcessorOptions {
  /** Pixels (width × height, all frames of an animation together) above which an image is refused. */
  maxPixels?: number;
  /** Long side of a stored image. */
  maxSide?: number;
  thumbnailSide?: number;
  avatarSide?: number;
  avatarThumbnailSide?: number;
  /**
   * Images processed at once; default: the number of CPUs. Each holds up to one
   * decoded image (≤ maxPixels × 4 bytes), so this bounds memory as well as CPU.
   */
  concurrency?: number;
  /** A pipeline running longer is stopped; default 60 s. */
  timeoutSeconds?: number;
}

const SHARP_FORMAT: Readonly<Record<string, keyof FormatEnum>> = { jpg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp' };

/**
 * Makes uploaded images safe to hand out: checks the pixel count from the
 * header before decoding anything, applies the EXIF orientation, drops all
 * metadata (EXIF with GPS position, XMP, IPTC, ICC after converting to sRGB),
 * re-encodes in the same format (animations stay animated), scales down to
 * `maxSide`, and writes a webp thumbnail.
 */
export class ImageProcessor {
  readonly #maxPixels: number;
  readonly #maxSide: number;
  readonly #thumbnailSide: number;
  readonly #avatarSide: number;
  readonly #avatarThumbnailSide: number;
  readonly #timeout: number;
  readonly #slots: Semaphore;

  constructor(options: ImageProcessorOptions = {}) {
    this.#maxPixels = options.maxPixels ?? MediaLimits.imagePixels;
    this.#maxSide = options.maxSide ?? MediaLimits.imageSide;
    this.#thumbnailSide = options.thumbnailSide ?? MediaLimits.thumbnailSide;
    this.#avatarSide = options.avatarSide ?? MediaLimits.avatarSide;
    this.#avatarThumbnailSide = options.avatarThumbnailSide ?? MediaLimits.avatarThumbnailSide;
    this.#timeout = options.timeoutSeconds ?? 60;
    this.#slots = new Semaphore(options.concurrency ?? availableParallelism());
  }

  /** A picture for a message: same format, long side ≤ maxSide, plus a thumbnail. `out` names the output files. */
  process(input: string, type: DetectedType, out: { main: string; thumbnail: string }): Promise<ProcessedImage> {
    return this.#slots.run(async () => {
      const meta = await this.#inspect(input, type);
      const animated = (meta.pages ?? 1) > 1;
      const format = SHARP_FORMAT[type.ext]!;
      let main = this.#open(input, { animated });
      // Rotating an animation is not supported by libvips; animations hardly ever carry an orientation.
      if (!animated) main = main.autoOrient();
      main = main.resize({ width: this.#maxSide, height: this.#maxSide, fit: 'inside', withoutEnlargement: true });
      main =
        format === 'jpeg' ? main.jpeg({ quality: 82, progressive: true })
        : format === 'png' ? main.png({ compressionLevel: 6 })
        : format === 'webp' ? main.webp({ quality: 80 })
        : main.gif();
      const mainInfo = await this.#write(main, out.main);
      const thumbnail = await this.#write(this.#thumbnail(input, this.#thumbnailSide), out.thumbnail);
      return { main: { ...mainInfo, mime: type.mime }, thumbnail };
    });
  }

  /** A profile picture: oriented, cropped square (the most interesting part), at most avatarSide, webp; plus a thumbnail. */
  avatar(input: string, type: DetectedType, out: { main: string; thumbnail: string }): Promise<ProcessedImage> {
    return this.#slots.run(async () => {
      const meta = await this.#inspect(input, type);
      const oriented =
        (meta.pages ?? 1) > 1 ? { width: meta.width, height: meta.pageHeight ?? meta.height } : (meta.autoOrient ?? meta);
      const side = Math.min(this.#avatarSide, oriented.width, oriented.height);
      const main = this.#open(input, { animated: false })
        .autoOrient()
        .resize(side, side, { fit: 'cover', position: sharp.strategy.attention })
        .webp({ quality: 85 });
      const mainInfo = await this.#write(main, out.main);
      const thumbnail = await this.#write(this.#thumbnail(out.main, this.#avatarThumbnailSide), out.thumbnail);
      return { main: { ...mainInfo, mime: 'image/webp' }, thumbnail };
    });
  }

  /** Header only: the format must be what the bytes were detected as, the pixel count within the limit. */
  async #inspect(input: string, type: DetectedType): Promise<Metadata> {
    let meta: Metadata;
    try {
      // No pixel limit here: reading the header decodes nothing, and we want the size for the message.
      meta = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
    } catch {
      throw badInput('The image could not be read; it may be damaged', 'file');
    }
    if (meta.format !== SHARP_FORMAT[type.ext]) throw unsupportedMediaType('The image could not be read as the type its bytes announce');
    const pixels = meta.width * meta.height;
    if (pixels > this.#maxPixels) {
      const frames = (meta.pages ?? 1) > 1 ? ` in ${meta.pages} frames` : '';
      const shown = `${meta.width}×${meta.pageHeight ?? meta.height}${frames}`;
      throw payloadTooLarge(
        `The image is ${shown} (${megapixels(pixels)} megapixels); at most ${megapixels(this.#maxPixels)} megapixels are accepted`,
      );
    }
    return meta;
  }

  #open(input: string, options: { animated: boolean }): Sharp {
    return sharp(input, { animated: options.animated, limitInputPixels: this.#maxPixels, failOn: 'error' }).timeout({ seconds: this.#timeout });
  }

  #thumbnail(input: string, side: number): Sharp {
    return sharp(input, { pages: 1, limitInputPixels: this.#maxPixels, failOn: 'error' })
      .timeout({ seconds: this.#timeout })
      .autoOrient()
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 });
  }

  async #write(pipeline: Sharp, file: string): Promise<EncodedImage> {
    try {
      const info = await pipeline.toFile(file);
      return { path: file, size: info.size, width: info.width, height: info.pageHeight ?? info.height };
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (/pixel limit/i.test(message)) throw payloadTooLarge(`The image has more than ${megapixels(this.#maxPixels)} megapixels`);
      if (/timeout/i.test(message)) throw payloadTooLarge('The image took too long to process');
      throw badInput('The image could not be read; it may be damaged', 'file');
    }
  }
}

const megapixels = (pixels: number) => String(Math.round(pixels / 100_000) / 10);

/** At most `size` tasks at once; the rest wait in order. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}
