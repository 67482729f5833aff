import type { Request, RequestHandler, Response } from 'express';
import { Upload, processRequest } from 'graphql-upload-minimal';
import { ErrorCode } from '../lib/errors.js';

/** Options for {@link multipartUploads}. */
export interface MultipartUploadOptions {
  /**
   * The parser's per-file limit: the largest any operation accepts. Past it the
   * file stream ends early with `truncated` set, which services refuse with
   * PAYLOAD_TOO_LARGE; each operation applies its own, smaller limit while reading.
   */
  maxFileSize: number;
  /** Size of the `operations` and `map` fields; default 1 MB, as for JSON bodies. */
  maxFieldSize?: number;
}

const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];

/**
 * GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec)
 * on POST /graphql, one file per request. Apollo's CSRF rule is applied before
 * the body is touched: a browser can send multipart/form-data cross-site without
 * a preflight, so such a request needs one of {@link PREFLIGHT_HEADERS}.
 *
 * The file itself is streamed by the resolver; whatever it leaves unread (an
 * operation refused before reading, a file over its limit) is drained once the
 * response is sent, so the connection can be reused and nothing is buffered.
 */
export function multipartUploads(options: MultipartUploadOptions): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    if (!PREFLIGHT_HEADERS.some((header) => (req.header(header) ?? '') !== '')) {
      fail(
        res,
        400,
        ErrorCode.BAD_USER_INPUT,
        'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
          `A multipart request needs a non-empty ${PREFLIGHT_HEADERS.join(' or ')} header.`,
      );
      return;
    }
    res.once('finish', () => drain(req));
    res.once('close', () => drain(req));
    processRequest(req, res, { maxFileSize: options.maxFileSize, maxFieldSize: options.maxFieldSize ?? 1_000_000, maxFiles: 1 })
      // The file parts follow `map`: a part the map names settles its upload as soon as
      // it begins, and one that is missing only when the body ends. Waiting for them
      // costs a well-formed request nothing, and turns a missing part into a 400
      // here instead of an error thrown at the resolver (INTERNAL_SERVER_ERROR).
      .then(async (body: unknown) => {
        await Promise.all(uploadsIn(body).map((upload) => upload.promise));
        return body;
      })
      .then(
        (body) => {
          req.body = body;
          next();
        },
        (error: { status?: number; message?: string }) => {
          const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
          fail(
            res,
            status === 499 ? 400 : status,
            status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT,
            error.message ?? 'Malformed multipart request',
          );
        },
      );
  };
}

/** The uploads graphql-upload placed in the operations (where `map` said), each once. */
function uploadsIn(operations: unknown): Upload[] {
  const found = new Set<Upload>();
  const walk = (value: unknown): void => {
    if (value instanceof Upload) found.add(value);
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) walk(item);
  };
  walk(operations);
  return [...found];
}

/** Discards what is left of a request body without holding it: the parser is detached, the bytes dropped. */
function drain(req: Request): void {
  if (req.complete || req.destroyed) return;
  req.unpipe();
  req.resume();
}

function fail(res: Response, status: number, code: ErrorCode, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}
