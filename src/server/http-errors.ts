import type { ServerResponse } from 'node:http';
import { ErrorCode } from '../lib/errors.js';

/**
 * The HTTP errors the server answers itself, before or around Apollo (whose
 * GraphQL errors it formats on its own). Those about a GraphQL request's body
 * are GraphQL-shaped (`errors[].extensions.code`), so clients read them as
 * they read Apollo's; 404 and 503 are plain JSON: no route, no GraphQL.
 */
export type HttpErrorKind = 'notFound' | 'malformedBody' | 'payloadTooLarge' | 'unsupportedMediaType' | 'internal' | 'shuttingDown';

const graphqlError = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });

const ERRORS: Record<HttpErrorKind, { status: number; body: unknown; headers?: Record<string, string> }> = {
  notFound: { status: 404, body: { error: 'Not found' } },
  malformedBody: { status: 400, body: graphqlError('Malformed request body', ErrorCode.BAD_USER_INPUT) },
  payloadTooLarge: { status: 413, body: graphqlError('Request body is larger than 1 MiB', ErrorCode.PAYLOAD_TOO_LARGE) },
  unsupportedMediaType: {
    status: 415,
    body: graphqlError('Unsupported charset or content encoding: send UTF-8 JSON', ErrorCode.UNSUPPORTED_MEDIA_TYPE),
  },
  internal: { status: 500, body: graphqlError('Internal server error', ErrorCode.INTERNAL_SERVER_ERROR) },
  // Not a GraphQL error: none of our codes means "retry elsewhere"; the status does. The connection is not used again.
  shuttingDown: { status: 503, body: { error: 'Shutting down' }, headers: { connection: 'close' } },
};

/** Serialised once: these bodies never change. */
const ENCODED = Object.fromEntries(
  Object.entries(ERRORS).map(([kind, { status, body, headers }]) => [kind, { status, text: Buffer.from(JSON.stringify(body)), headers }]),
) as Record<HttpErrorKind, { status: number; text: Buffer; headers?: Record<string, string> }>;

/** The status {@link sendHttpError} answers `kind` with. */
export const httpErrorStatus = (kind: HttpErrorKind): number => ERRORS[kind].status;

/**
 * Answers `res` with the error `kind`; works on Express' response and Node's
 * alike. A response already under way cannot change its status: its
 * connection is cut instead, so the client sees a failure, not a truncated 200.
 */
export function sendHttpError(res: ServerResponse, kind: HttpErrorKind): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, text, headers } = ENCODED[kind];
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', text.length);
  if (headers) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(text);
}

/**
 * The error to answer for one thrown while reading a request (body-parser's,
 * Express' own, a route's): its `status` when it is a client's 413, 415 or
 * other 4xx; otherwise 500.
 */
export function httpErrorOf(error: unknown): HttpErrorKind {
  const status = typeof (error as { status?: unknown } | null)?.status === 'number' ? (error as { status: number }).status : 500;
  if (status === 413) return 'payloadTooLarge';
  if (status === 415) return 'unsupportedMediaType';
  if (status >= 400 && status < 500) return 'malformedBody';
  return 'internal';
}
