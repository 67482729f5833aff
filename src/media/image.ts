import { availableParallelism } from 'node:os';
import { encode as encodeBlurhash } from 'blurhash';
import sharp, { type FormatEnum, type Metadata, type Sharp } from 'sharp';
import { badInput, rateLimited } from '../lib/errors.js';
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

/** An image ready to store: the re-encoded picture, its webp thumbnail, and a BlurHash of the thumbnail. */
export interface ProcessedImage {
  main: EncodedImage & { mime: string };
  thumbnail: EncodedImage;
  /** See {@link blurhashOf}. */
  blurhash: string;
}

/** Options for {@link ImageProcessor}. Defaults are {@link MediaLimits}. */
export interface ImageProcessorOptions {
  /**
   * Pixels (width × height, all frames of an animation together) above which an
   * image is refused, from its header; default {@link MediaLimits.imagePixels} (50 megapixels).
   */
  maxPixels?: number;
  /**
   * Frames an animation may have; more is refused (PAYLOAD_TOO_LARGE) from its
   * header. Default {@link MediaLimits.imageFrames} (300).
   */
  maxFrames?: number;
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
  /**
   * Jobs that may wait for a turn when all workers are busy; one more is refused
   * with RATE_LIMITED and `retryAfterSeconds`. The same number may wait behind
   * each owner's running job (see {@link ImageProcessor.process}). Default
   * {@link MediaLimits.imageJobsWaitingPerWorker} × concurrency (2 × concurrency).
   */
  maxWaiting?: number;
  /** A pipeline running longer is stopped; default 60 s. */
  timeoutSeconds?: number;
}

const SHARP_FORMAT: Readonly<Record<string, keyof FormatEnum>> = { jpg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp' };

/**
 * Makes uploaded images safe to hand out: checks the frame and pixel counts
 * from the header before decoding anything, applies the EXIF orientation, drops all
 * metadata (EXIF with GPS position, XMP, IPTC, ICC after converting to sRGB),
 * re-encodes in the same format (animations stay animated), scales down to
 * `maxSide`, and writes a webp thumbnail.
 */
export class ImageProcessor {
  readonly #maxPixels: number;
  readonly #maxFrames: number;
  readonly #maxSide: number;
  readonly #thumbnailSide: number;
  readonly #avatarSide: number;
  readonly #avatarThumbnailSide: number;
  readonly #timeout: number;
  readonly #jobs: ImageJobQueue;

  constructor(options: ImageProcessorOptions = {}) {
    this.#maxPixels = options.maxPixels ?? MediaLimits.imagePixels;
    this.#maxFrames = options.maxFrames ?? MediaLimits.imageFrames;
    this.#maxSide = options.maxSide ?? MediaLimits.imageSide;
    this.#thumbnailSide = options.thumbnailSide ?? MediaLimits.thumbnailSide;
    this.#avatarSide = options.avatarSide ?? MediaLimits.avatarSide;
    this.#avatarThumbnailSide = options.avatarThumbnailSide ?? MediaLimits.avatarThumbnailSide;
    this.#timeout = options.timeoutSeconds ?? 60;
    const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.#jobs = new ImageJobQueue(concurrency, options.maxWaiting ?? MediaLimits.imageJobsWaitingPerWorker * concurrency);
  }

  /**
   * A picture for a message: same format, long side ≤ maxSide, plus a thumbnail.
   * `out` names the output files. `owner` (the uploader's user id) has one job
   * running at a time; a second one waits behind it (see {@link ImageJobQueue}).
   * RATE_LIMITED when too many jobs are waiting already.
   */
  process(input: string, type: DetectedType, out: { main: string; thumbnail: string }, owner: string): Promise<ProcessedImage> {
    return this.#jobs.run(owner, async () => {
      const meta = await this.#inspect(input, type);
      const animated = (meta.pages ?? 1) > 1;
      const format = SHARP_FORMAT[type.ext]!;
      let main = this.#open(input, { animated });
      // Rotating an animation is not supported by libvips; animations hardly ever carry an orientation.
      if (!animated) main = main.autoOrient();
      main = main.resize({ width: this.#maxSide, height: this.#maxSide, fit: 'inside', withoutEnlargement: true });
      main =
        format === 'jpeg'
          ? main.jpeg({ quality: 82, progressive: true })
          : format === 'png'
            ? main.png({ compressionLevel: 6 })
            : format === 'webp'
              ? main.webp({ quality: 80 })
              : main.gif();
      const mainInfo = await this.#write(main, out.main);
      const thumbnail = await this.#write(this.#thumbnail(input, this.#thumbnailSide), out.thumbnail);
      return { main: { ...mainInfo, mime: type.mime }, thumbnail, blurhash: await blurhashOf(out.thumbnail) };
    });
  }

  /** A profile picture: oriented, cropped square (the most interesting part), at most avatarSide, webp; plus a thumbnail. Queued like {@link process}. */
  avatar(input: string, type: DetectedType, out: { main: string; thumbnail: string }, owner: string): Promise<ProcessedImage> {
    return this.#jobs.run(owner, async () => {
      const meta = await this.#inspect(input, type);
      const oriented = (meta.pages ?? 1) > 1 ? { width: meta.width, height: meta.pageHeight ?? meta.height } : (meta.autoOrient ?? meta);
      const side = Math.min(this.#avatarSide, oriented.width, oriented.height);
      const main = this.#open(input, { animated: false })
        .autoOrient()
        .resize(side, side, { fit: 'cover', position: sharp.strategy.attention })
        .webp({ quality: 85 });
      const mainInfo = await this.#write(main, out.main);
      const thumbnail = await this.#write(this.#thumbnail(out.main, this.#avatarThumbnailSide), out.thumbnail);
      return { main: { ...mainInfo, mime: 'image/webp' }, thumbnail, blurhash: await blurhashOf(out.thumbnail) };
    });
  }

  /**
   * A picture from elsewhere (a link preview's og:image): its thumbnail alone,
   * webp, long side ≤ thumbnailSide, with the checks of {@link process}.
   * Queued like {@link process}.
   */
  thumbnail(input: string, type: DetectedType, out: string, owner: string): Promise<EncodedImage> {
    return this.#jobs.run(owner, async () => {
      await this.#inspect(input, type);
      return this.#write(this.#thumbnail(input, this.#thumbnailSide), out);
    });
  }

  /** Header only: the format must be what the bytes were detected as, the frame and pixel counts within the limits. */
  async #inspect(input: string, type: DetectedType): Promise<Metadata> {
    let meta: Metadata;
    try {
      // No pixel limit here: reading the header decodes nothing, and we want the size for the message.
      meta = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
    } catch {
      throw badInput('The image could not be read; it may be damaged', 'file');
    }
    if (meta.format !== SHARP_FORMAT[type.ext]) throw unsupportedMediaType('The image could not be read as the type its bytes announce');
    // Avatars decode only the first frame, but the same rule for every image is simpler to state.
    const frames = meta.pages ?? 1;
    if (frames > this.#maxFrames) {
      throw payloadTooLarge(`The animation has ${frames} frames; at most ${this.#maxFrames} frames are accepted`);
    }
    // Loaded with `animated: true`, height is that of all frames stacked: the pixels of every frame together.
    const pixels = meta.width * meta.height;
    if (pixels > this.#maxPixels) {
      const shown = `${meta.width}×${meta.pageHeight ?? meta.height}${frames > 1 ? ` in ${frames} frames` : ''}`;
      throw payloadTooLarge(`The image is ${shown} (${megapixels(pixels)} megapixels); at most ${megapixels(this.#maxPixels)} megapixels are accepted`);
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

/** The long side of the pixels a BlurHash is computed from: it keeps only the lowest frequencies, so more would only cost time. */
const BLURHASH_SIDE = 32;

/**
 * A BlurHash (https://blurha.sh) of a thumbnail we wrote: 4 × 3 components
 * for a landscape or square picture, 3 × 4 for a portrait one, so the
 * placeholder has detail along the long side; 28 characters either way.
 * Computed from sharp's raw RGBA pixels of the thumbnail scaled to
 * {@link BLURHASH_SIDE} on its long side; a client decodes it at the size it
 * shows the picture (width/height give the aspect).
 */
export async function blurhashOf(thumbnail: string): Promise<string> {
  const { data, info } = await sharp(thumbnail, { pages: 1 })
    .resize({ width: BLURHASH_SIDE, height: BLURHASH_SIDE, fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const portrait = info.height > info.width;
  return encodeBlurhash(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, portrait ? 3 : 4, portrait ? 4 : 3);
}

const megapixels = (pixels: number) => String(Math.round(pixels / 100_000) / 10);

/**
 * The image workers' queue: at most `concurrency` jobs run, at most
 * `maxWaiting` wait for a worker (first come, first served), and the next one
 * is refused with RATE_LIMITED: an unbounded queue let two 40-second GIFs hold
 * every upload behind them for minutes, with each waiting request holding its
 * connection and temporary file.
 *
 * One job per owner (user) runs or waits for a worker at a time. A second job
 * of the same owner waits behind the first, outside the shared queue, rather
 * than being refused: a client sending an album in parallel gets every picture
 * through, one after another, instead of errors for bytes already uploaded;
 * and since an owner holds at most one place in the shared queue, one user's
 * uploads can neither fill it nor take more than one worker. Behind each
 * owner's job at most `maxWaiting` more may wait; the upload rate limit bounds
 * them further.
 */
export class ImageJobQueue {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** Per owner with a job running or waiting for a worker: the starts of its jobs behind that one. */
  readonly #owners = new Map<string, (() => void)[]>();
  /** Moving average of how long a job takes; a guess of 1 s until some were timed. */
  #averageMs = 1000;

  constructor(concurrency: number, maxWaiting: number) {
    this.#concurrency = Math.max(1, concurrency);
    this.#maxWaiting = Math.max(0, maxWaiting);
  }

  /** Runs `task` when a worker is free and `owner` has no other job before it; RATE_LIMITED when the line is full. */
  async run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    let behind = this.#owners.get(owner);
    if (behind) {
      if (behind.length >= this.#maxWaiting) throw this.#refusal();
      await new Promise<void>((resolve) => behind!.push(resolve));
    } else {
      behind = [];
      this.#owners.set(owner, behind);
    }
    try {
      return await this.#runShared(task);
    } finally {
      const next = behind.shift();
      if (next) next();
      else this.#owners.delete(owner);
    }
  }

  async #runShared<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.#concurrency) this.#running += 1;
    else if (this.#waiting.length >= this.#maxWaiting) throw this.#refusal();
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.#averageMs = 0.8 * this.#averageMs + 0.2 * (performance.now() - started);
      // The worker passes straight to the next in line, so nobody can slip in between.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }

  // About one job's time: by then a place in the line has most likely come free.
  #refusal() {
    const seconds = Math.max(1, Math.ceil(this.#averageMs / 1000));
    return rateLimited(seconds, 'IMAGE_PROCESSING', `Too many images are being processed; retry in ${seconds} s`);
  }
}
