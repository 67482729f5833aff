import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { ByteRange } from '../media/file-store.js';
import type { FileVariant } from '../media/signed-urls.js';
import type { Logger } from '../lib/logger.js';
import type { Download, FilesService } from '../modules/files/index.js';

/**
 * `GET /files/:id`, `GET /files/:id/thumbnail` and `GET /files/:id/poster`
 * with a signed URL from `File.url` / `thumbnailUrl` / `posterUrl`: 403 for a missing, forged or expired
 * signature, 404 for a file that does not exist (any more). Bytes are streamed
 * from the store, with single byte ranges (206, 416) so audio and video can be
 * scrubbed, and conditional requests (304).
 */
export function fileRoutes(files: FilesService, logger: Logger): Router {
  const router = Router();
  const serve = (variant: FileVariant) => async (req: Request, res: Response) => {
    const id = String(req.params['id']);
    const result = await files.download(id, variant, req.query['exp'], req.query['sig']);
    if (result.status !== 200) {
      res.status(result.status).json({ error: result.status === 403 ? 'Missing, invalid or expired signature' : 'Not found' });
      return;
    }
    await send(req, res, result.download, logger);
  };
  router.get('/files/:id', serve('original'));
  router.get('/files/:id/thumbnail', serve('thumbnail'));
  router.get('/files/:id/poster', serve('poster'));
  return router;
}

async function send(req: Request, res: Response, file: Download, logger: Logger): Promise<void> {
  const expires = Number(req.query['exp']) - Math.floor(Date.now() / 1000);
  res.setHeader('Content-Type', file.mimeType === 'text/plain' ? 'text/plain; charset=utf-8' : file.mimeType);
  res.setHeader('ETag', file.etag);
  // The URL stops working at `exp`; until then its bytes never change.
  res.setHeader('Cache-Control', `private, max-age=${Math.max(0, expires)}, immutable`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Even if a browser were to render a file, it runs nothing and reaches nothing.
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Disposition', contentDisposition(file.disposition, file.fileName));

  if (matchesEtag(req.header('if-none-match'), file.etag)) {
    res.status(304).end();
    return;
  }

  // If-Range with another version means: send all of it.
  const ifRange = req.header('if-range');
  const rangeHeader = ifRange === undefined || ifRange === file.etag ? req.header('range') : undefined;
  const range = rangeHeader === undefined ? null : parseRange(rangeHeader, file.size);
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${file.size}`).end();
    return;
  }
  if (range) {
    res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200).setHeader('Content-Length', String(file.size));
  }
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    return;
  }

  let stream: Awaited<ReturnType<typeof file.open>>;
  try {
    stream = await file.open(range ?? undefined);
  } catch (error) {
    // The row exists but the bytes do not: storage lost them; say so to the log, not the client.
    logger.error({ err: error }, 'stored file missing');
    res.removeHeader('Content-Length');
    res.removeHeader('Content-Range');
    res.status(404).json({ error: 'Not found' });
    return;
  }
  try {
    await pipeline(stream, res);
  } catch (error) {
    // The client went away mid-download (or the disk failed): nothing more to send.
    if (!res.destroyed) logger.warn({ err: error }, 'file download interrupted');
    res.destroy();
  }
}

/**
 * One `bytes=` range (`a-b`, `a-`, `-n`), clamped to the file. Null when there is
 * no usable Range header (another unit, or several ranges: the whole file is
 * sent, as RFC 9110 allows); 'unsatisfiable' for a malformed or out-of-bounds range.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^bytes=(.*)$/i.exec(header.trim());
  if (!match) return null;
  const spec = match[1]!.trim();
  if (spec.includes(',')) return null;
  const parts = /^(\d*)-(\d*)$/.exec(spec);
  if (!parts || (parts[1] === '' && parts[2] === '')) return 'unsatisfiable';
  let start: number;
  let end: number;
  if (parts[1] === '') {
    const suffix = Number(parts[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(parts[1]);
    end = parts[2] === '' ? size - 1 : Math.min(Number(parts[2]), size - 1);
    if (parts[2] !== '' && Number(parts[2]) < start) return 'unsatisfiable';
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/** RFC 6266: an ASCII fallback name plus the exact one in RFC 5987 encoding. */
function contentDisposition(type: 'attachment' | 'inline', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7E]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
