/** What uploads may be. README.md "Media" documents each figure; change both together. */
export const MediaLimits = {
  /** Largest profile picture upload: 5 MiB. */
  avatarBytes: 5 * 1024 * 1024,
  /** Largest media message upload: 100 MiB. */
  mediaBytes: 100 * 1024 * 1024,
  /**
   * Largest image, in pixels, counting every frame of an animation: 50 megapixels
   * (a 12 MP phone photo fits four times over; decoding it needs ~200 MB at most).
   * Checked from the header before any pixel is decoded.
   */
  imagePixels: 50_000_000,
  /**
   * Most frames an animation (GIF, WebP) may have: 300. The pixel limit alone
   * let a 12,000-frame 64×64 GIF through (49 megapixels), and its re-encoding
   * took 41.5 s: every frame has a cost of its own. Counted from the header.
   */
  imageFrames: 300,
  /** Image jobs that may wait for a worker, per worker: 2 (a worker is one CPU by default). */
  imageJobsWaitingPerWorker: 2,
  /** Stored images are scaled down to fit this many pixels on their long side. */
  imageSide: 2560,
  /** Thumbnails (webp) fit in this square. */
  thumbnailSide: 320,
  /** Avatars are cropped square to at most this side… */
  avatarSide: 512,
  /** …with a thumbnail of this side. */
  avatarThumbnailSide: 128,
  /**
   * The longest audio or video accepted as lasting (24 h): a container saying
   * more is made up, and is taken as saying nothing; a client's durationMs beyond it is refused.
   */
  durationMs: 24 * 3600 * 1000,
} as const;
