import { Server as TusServer, type Locker } from '@tus/server';
import { Router, type Request, type Response } from 'express';
import { AppError, ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Viewer } from '../lib/viewer.js';
import { UPLOADS_PATH, type FilesService } from '../modules/files/index.js';

/** Options for {@link tusRoutes}. */
export interface TusRoutesOptions {
  files: FilesService;
  /** The viewer of the request's bearer token (as for GraphQL), or null. */
  authenticate(authorization: string | undefined): Promise<Viewer | null>;
  /** Shared by every instance ({@link PgAdvisoryLocker}). */
  locker: Locker;
  /** CORS_ORIGINS: the tus server answers their requests with its own CORS headers too. */
  corsOrigins: readonly string[];
  /** The media limit, which tus announces as Tus-Max-Size. */
  maxSize: number;
  logger: Logger;
}

/** The headers a browser client must be allowed to read for tus (CORS Access-Control-Expose-Headers). */
export const TUS_EXPOSED_HEADERS = [
  'Location',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
];

const TUS_RESUMABLE = '1.0.0';

/**
 * tus 1.0 at `/uploads/tus/<id>` (@tus/server over @tus/file-store), on the
 * same origin and pipeline as the API: HEAD gives an upload's offset, PATCH
 * appends bytes at it, DELETE cancels an unfinished one, OPTIONS is the
 * protocol's discovery. Uploads are created by createUpload, never by a tus
 * POST. Every request but OPTIONS carries the same bearer token as GraphQL
 * and names an upload of the token's user; anything else is 404, exactly as
 * an unknown id. The CSRF rule holds as for GraphQL: a PATCH needs the
 * Tus-Resumable header and Content-Type application/offset+octet-stream,
 * which no form can send, so a browser always preflights it (CORS).
 *
 * When the last byte arrives, the upload becomes a File (type from the bytes,
 * images processed) before the PATCH is answered: 204 as tus says, or the
 * refusal (415, 413, 400) with the tus bytes already removed.
 */
export function tusRoutes(options: TusRoutesOptions): Router {
  const { files, logger } = options;
  const store = files.resumableStore;
  if (!store) throw new Error('tusRoutes: the files service has no resumable uploads');
  const tus = new TusServer({
    path: UPLOADS_PATH,
    datastore: store.datastore,
    locker: options.locker,
    maxSize: options.maxSize,
    // No header unless the pipeline's CORS (the `cors` package) allowed the origin: the two agree.
    allowedOrigins: (origin) => options.corsOrigins.includes(origin),
    exposedHeaders: [],
    disableTerminationForFinishedUploads: true,
    onUploadFinish: async (_req, upload) => {
      const outcome = await files.completeUpload(upload.id);
      if (outcome.ok) return {};
      throw tusError(outcome.error, logger);
    },
  });

  const router = Router();
  router.options([UPLOADS_PATH, `${UPLOADS_PATH}/:id`], (req, res) => void tus.handle(req, res));
  router.post(UPLOADS_PATH, (_req, res) => {
    res.setHeader('Tus-Resumable', TUS_RESUMABLE);
    res.status(405).setHeader('Allow', 'OPTIONS').type('text/plain').send('Create uploads with the createUpload mutation\n');
  });
  router.all(`${UPLOADS_PATH}/:id`, (req, res, next) => {
    handle(req, res).catch(next);
  });

  const handle = async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Tus-Resumable', TUS_RESUMABLE);
    res.setHeader('Cache-Control', 'no-store');
    const viewer = await options.authenticate(req.headers.authorization);
    if (!viewer) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').type('text/plain').send('Sign in: send Authorization: Bearer <access token>\n');
      return;
    }
    const raw = req.params['id'];
    const id = typeof raw === 'string' ? raw : '';
    const upload = await files.uploadOf(viewer.id, id);
    if (!upload) {
      res.status(404).type('text/plain').send('Upload not found\n');
      return;
    }
    const method = req.method.toUpperCase();
    if (method === 'DELETE') {
      if (await files.cancelUpload(viewer.id, id)) res.status(204).end();
      else res.status(409).type('text/plain').send('A finished upload is not cancelled: delete its file (deleteFile) instead\n');
      return;
    }
    if (method !== 'HEAD' && method !== 'PATCH') {
      res.status(405).setHeader('Allow', 'HEAD, PATCH, DELETE, OPTIONS').type('text/plain').send('Method not allowed\n');
      return;
    }
    if (upload.status !== 'PENDING') {
      // Every byte is in (and being processed, or done): the offset is the size, and there is nothing left to send.
      if (method === 'HEAD') {
        res.status(200).setHeader('Upload-Offset', String(upload.size)).setHeader('Upload-Length', String(upload.size)).end();
      } else {
        res.status(409).type('text/plain').send('The upload is complete\n');
      }
      return;
    }
    await tus.handle(req, res);
  };
  return router;
}

/** A refusal of the finished bytes as tus sends it: the status of the error's code, its message as the body. */
function tusError(error: unknown, logger: Logger): { status_code: number; body: string } {
  if (error instanceof AppError) {
    const status = STATUS[error.code] ?? 400;
    return { status_code: status, body: `${error.message}\n` };
  }
  logger.error({ err: error }, 'resumable upload failed');
  return { status_code: 500, body: 'The upload could not be processed\n' };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.RATE_LIMITED]: 429,
};
