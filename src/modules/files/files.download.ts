import type { Readable } from 'node:stream';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { isUuid } from '../../lib/text.js';
import { extensionOf } from '../../media/file-type.js';
import type { ByteRange, FileStore } from '../../media/file-store.js';
import type { FileVariant, UrlSigner } from '../../media/signed-urls.js';
import { FILE_SELECT, type FileRecord } from './files.types.js';

/** What the HTTP route needs to serve a file's bytes. */
export interface Download {
  mimeType: string;
  size: number;
  etag: string;
  /** `attachment` for documents (never rendered by a browser), `inline` for the rest. */
  disposition: 'attachment' | 'inline';
  /** Name to save the download under, its extension matching the bytes. */
  fileName: string;
  open(range?: ByteRange): Promise<Readable>;
}

export type DownloadResult = { status: 200; download: Download } | { status: 403 | 404 };

/** Serves stored bytes to whoever holds a signed URL. */
export class FileDownloads {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly signer: UrlSigner,
    private readonly store: FileStore,
  ) {}

  /**
   * For `GET /files/:id[/thumbnail|/poster]`: the signature is checked first (403 for a
   * missing, forged or expired one, without touching the database), then the
   * file (or a hold on its bytes) must still exist (404).
   */
  async download(id: string, variant: FileVariant, exp: unknown, sig: unknown): Promise<DownloadResult> {
    if (this.signer.verify(id, variant, exp, sig) !== 'valid') return { status: 403 };
    if (!isUuid(id)) return { status: 404 };
    // A hold (FilesService.hold) is served by its own id: only URLs signed for the hold reach its bytes.
    const file =
      (await this.prisma.file.findUnique({ where: { id }, select: FILE_SELECT })) ??
      (await this.prisma.fileHold.findUnique({ where: { id }, select: FILE_SELECT }));
    if (!file) return { status: 404 };
    const served = VARIANTS[variant](file);
    if (served.key === null || served.size === null || served.mimeType === null) return { status: 404 };
    const { key, size, mimeType } = served;
    return {
      status: 200,
      download: {
        mimeType,
        size,
        // Stored bytes never change for an id, so the content hash identifies every variant.
        etag: `"${file.checksum}${ETAG_SUFFIX[variant]}"`,
        disposition: variant === 'original' && file.kind === 'DOCUMENT' ? 'attachment' : 'inline',
        fileName: downloadName(file, variant, mimeType),
        open: (range) => this.store.get(key, range),
      },
    };
  }
}

/** Which stored bytes each variant serves, and as what. */
const VARIANTS: Readonly<Record<FileVariant, (file: FileRecord) => { key: string | null; size: number | null; mimeType: string | null }>> = {
  original: (file) => ({ key: file.storageKey, size: file.size, mimeType: file.mimeType }),
  thumbnail: (file) => ({ key: file.thumbnailKey, size: file.thumbnailSize, mimeType: 'image/webp' }),
  poster: (file) => ({ key: file.posterKey, size: file.posterSize, mimeType: file.posterMimeType }),
};

const ETAG_SUFFIX: Readonly<Record<FileVariant, string>> = { original: '', thumbnail: '.t', poster: '.p' };

/** `holiday.jpg`, with the extension the bytes call for (a text file sent as "x.png" downloads as "x.png.txt"); `clip-poster.jpg` for a poster. */
function downloadName(file: FileRecord, variant: FileVariant, mimeType: string): string {
  const ext = extensionOf(mimeType) ?? (variant === 'thumbnail' ? 'webp' : 'bin');
  const base = file.originalName ?? 'file';
  const stem = variant === 'original' ? base : `${base.replace(/\.[^.]*$/, '') || 'file'}-${variant}`;
  return stem.toLowerCase().endsWith(`.${ext}`) || (ext === 'jpg' && /\.jpe?g$/i.test(stem)) ? stem : `${stem}.${ext}`;
}
