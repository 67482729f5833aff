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
   * For `GET /files/:id[/thumbnail]`: the signature is checked first (403 for a
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
    const thumbnail = variant === 'thumbnail';
    const key = thumbnail ? file.thumbnailKey : file.storageKey;
    const size = thumbnail ? file.thumbnailSize : file.size;
    if (key === null || size === null) return { status: 404 };
    return {
      status: 200,
      download: {
        mimeType: thumbnail ? 'image/webp' : file.mimeType,
        size,
        // Stored bytes never change for an id, so the content hash identifies both variants.
        etag: `"${file.checksum}${thumbnail ? '.t' : ''}"`,
        disposition: !thumbnail && file.kind === 'DOCUMENT' ? 'attachment' : 'inline',
        fileName: downloadName(file, thumbnail),
        open: (range) => this.store.get(key, range),
      },
    };
  }
}

/** `holiday.jpg`, with the extension the bytes call for (a text file sent as "x.png" downloads as "x.png.txt"). */
function downloadName(file: FileRecord, thumbnail: boolean): string {
  const ext = thumbnail ? 'webp' : (extensionOf(file.mimeType) ?? 'bin');
  const base = file.originalName ?? 'file';
  const stem = thumbnail ? `${base.replace(/\.[^.]*$/, '') || 'file'}-thumbnail` : base;
  return stem.toLowerCase().endsWith(`.${ext}`) || (ext === 'jpg' && /\.jpe?g$/i.test(stem)) ? stem : `${stem}.${ext}`;
}
