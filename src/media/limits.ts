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
  /** Stored images are scaled down to fit this many pixels on their long side. */
  imageSide: 2560,
  /** Thumbnails (webp) fit in this square. */
  thumbnailSide: 320,
  /** Avatars are cropped square to at most this side… */
  avatarSide: 512,
  /** …with a thumbnail of this side. */
  avatarThumbnailSide: 128,
} as const;
