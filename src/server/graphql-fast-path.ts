import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Context } from '../graphql/context.js';
import { ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface FastPathOptions {
  apollo: ApolloServer<Context>;
  /** The security headers every response gets (helmet's, worked out once). */
  fixedHeaders: readonly (readonly [string, string])[];
  /** Largest body accepted, in bytes (the JSON limit of the Express route). */
  maxBodyBytes: number;
  requestId(header: string | undefined): string;
  context(req: IncomingMessage, requestId: string): Promise<Context>;
  /** Called when the response is finished, with its status (HTTP metrics). */
  finished(statusCode: number, startedAt: number): void;
  logger: Logger;
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

/**
 * POST /graphql with a plain JSON body, straight to Apollo: the same request
 * Express would hand it, without Express's middleware chain (router, body
 * parser, content negotiation), which cost as much CPU per request as Apollo
 * itself. Everything else goes to Express: browsers (an Origin header: CORS),
 * uploads (multipart), GET, bodies without a declared length or over the
 * limit, and every request when a proxy is trusted (client IPs from
 * X-Forwarded-For). Returns false when the request is not one of ours.
 */
export function graphqlFastPath(options: FastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { apollo, fixedHeaders, maxBodyBytes, logger } = options;
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql' || req.headers.origin !== undefined) return false;
    const type = req.headers['content-type'];
    const length = Number(req.headers['content-length']);
    if (type === undefined || !JSON_CONTENT_TYPE.test(type) || !Number.isInteger(length) || length > maxBodyBytes) return false;
    if (req.headers['transfer-encoding'] !== undefined || req.headers['content-encoding'] !== undefined) return false;

    const startedAt = performance.now();
    const requestId = options.requestId(req.headers['x-request-id'] as string | undefined);
    for (const [name, value] of fixedHeaders) res.setHeader(name, value);
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => options.finished(res.statusCode, startedAt));

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      // As express.json (strict) answers: only an object or an array is a body.
      if (typeof body !== 'object' || body === null) {
        sendJson(res, 400, { errors: [{ message: 'Malformed request body', extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
        return;
      }
      void respond(req, res, body, requestId).catch((error: unknown) => {
        logger.error({ err: error }, 'unhandled HTTP error');
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
      });
    });
    return true;
  };

  async function respond(req: IncomingMessage, res: ServerResponse, body: object, requestId: string): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body },
      context: () => options.context(req, requestId),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
