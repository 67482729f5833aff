import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import cors from 'cors';
import proxyaddr from 'proxy-addr';
import type { Context } from '../graphql/context.js';
import type { Logger } from '../lib/logger.js';
import { sendHttpError, type HttpErrorKind } from './http-errors.js';
import type { Metrics } from './metrics.js';

/** What the context factory learns of an HTTP request. */
export interface HttpRequestInfo {
  requestId: string;
  /** The client's address: the TCP peer, or X-Forwarded-For as far as `trustProxy` allows (as Express' `req.ip`). */
  clientIp: string;
  /** Where the client reached us (X-Forwarded-Proto believed as for `clientIp`, as Express' `req.protocol`); null without a Host header. */
  origin: string | null;
}

/** Options for {@link httpPipeline}. */
export interface HttpPipelineOptions {
  apollo: ApolloServer<Context>;
  /** The security headers of every response (helmet's, worked out once): those to set and those to remove. */
  securityHeaders: { readonly set: readonly (readonly [string, string])[]; readonly removed: readonly string[] };
  /** CORS_ORIGINS: browsers on these origins may call, preflight included; with none (the default) no CORS header is sent. */
  corsOrigins: readonly string[];
  /** Response headers those browsers may read (Access-Control-Expose-Headers), e.g. tus's Upload-Offset and Location; default none. */
  corsExposedHeaders?: readonly string[];
  /** TRUST_PROXY compiled, as Express holds it (`app.get('trust proxy fn')`): which peers' X-Forwarded-* are believed. */
  trustProxy: (address: string, hop: number) => boolean;
  /** Largest JSON body accepted, in bytes (after Content-Encoding is undone); larger is 413. */
  maxBodyBytes: number;
  context(req: IncomingMessage, request: HttpRequestInfo): Promise<Context>;
  /** Routes other than GraphQL, and multipart uploads: the Express app. */
  fallback(req: IncomingMessage, res: ServerResponse): void;
  metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>;
  logger: Logger;
}

/** What {@link httpPipeline} returns. */
export interface HttpPipeline {
  /** The HTTP server's request handler. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Runs a GraphQL request whose body was read elsewhere (multipart uploads, on Express); `handle` has already run for it. */
  execute(req: IncomingMessage, res: ServerResponse, body: unknown): void;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;
/** The Content-Encodings express.json undid (Node 20 has no zstd). */
const DECODERS: Record<string, () => Transform> = { gzip: createGunzip, deflate: createInflate, br: createBrotliDecompress };

/**
 * Every HTTP request, one pipeline: security headers, request id, metrics and
 * CORS for all of them; then GraphQL (POST with a JSON body, GET, anything on
 * /graphql but multipart) straight to Apollo, and the rest to Express (health,
 * files, multipart uploads, 404). Apps, browsers and requests through a
 * trusted proxy all take this one path, so what the benchmark measures is what
 * production runs.
 *
 * GraphQL requests skip Express: its middleware chain (router, body parser,
 * content negotiation) cost as much CPU per request as Apollo itself. What
 * Express gave them is done here, to the same effect: the client address and
 * protocol from `trustProxy` as Express computes `req.ip` and `req.protocol`,
 * the `cors` package run as a plain function, and express.json's reading of a
 * body (1 MiB limit: 413; a charset other than UTF-8 or an unknown
 * Content-Encoding: 415; gzip, deflate and br undone; strict JSON, an empty
 * body being `{}`: else 400).
 */
export function httpPipeline(options: HttpPipelineOptions): HttpPipeline {
  const { apollo, securityHeaders, trustProxy, maxBodyBytes, metrics, logger } = options;
  const corsHandler =
    options.corsOrigins.length > 0
      ? cors({ origin: [...options.corsOrigins], maxAge: 600, ...(options.corsExposedHeaders ? { exposedHeaders: [...options.corsExposedHeaders] } : {}) })
      : undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const route = routeLabel(path);
    const method = req.method ?? 'GET';
    for (const [name, value] of securityHeaders.set) res.setHeader(name, value);
    for (const name of securityHeaders.removed) res.removeHeader(name);
    const header = req.headers['x-request-id'];
    const requestId = header !== undefined && REQUEST_ID.test(header as string) ? (header as string) : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method, route }, (performance.now() - startedAt) / 1000);
    });
    if (corsHandler) {
      // Synchronous with fixed options; a preflight is answered (204) without calling next.
      let next = false;
      corsHandler(req, res, () => (next = true));
      if (!next) return;
    }
    const type = req.headers['content-type'];
    if (route !== '/graphql' || (type !== undefined && mediaType(type) === 'multipart/form-data')) {
      options.fallback(req, res);
    } else if (method === 'POST' && type !== undefined && mediaType(type) === 'application/json') {
      readJson(req, res, type, (body) => run(req, res, body, query === -1 ? '' : url.slice(query), requestId));
    } else {
      // GET (Sandbox, queries), and what Apollo refuses itself: text/plain and forms (CSRF), other methods (405).
      run(req, res, undefined, query === -1 ? '' : url.slice(query), requestId);
    }
  };

  /** express.json's reading, in one pass: `done` gets the parsed body, or the client gets its 4xx. */
  const readJson = (req: IncomingMessage, res: ServerResponse, type: string, done: (body: unknown) => void): void => {
    let stream: Readable = req;
    const refuse = (kind: HttpErrorKind) => {
      // The rest of the body is read and dropped, so the connection stays usable.
      if (stream !== req) {
        req.unpipe();
        stream.destroy();
      }
      req.resume();
      sendHttpError(res, kind);
    };
    const charset = type === 'application/json' ? null : CHARSET.exec(type);
    if (charset && (charset[1] ?? charset[2])!.toLowerCase() !== 'utf-8') {
      refuse('unsupportedMediaType');
      return;
    }
    const encoding = req.headers['content-encoding']?.toLowerCase() ?? 'identity';
    if (encoding === 'identity') {
      if (Number(req.headers['content-length']) > maxBodyBytes) {
        refuse('payloadTooLarge');
        return;
      }
    } else {
      const decoder = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding]!() : undefined;
      if (!decoder) {
        refuse('unsupportedMediaType');
        return;
      }
      stream = req.pipe(decoder);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        failed = true;
        refuse('payloadTooLarge');
      } else chunks.push(chunk);
    });
    // A client that goes away mid-body is owed no answer.
    req.on('error', () => res.destroy());
    if (stream !== req) {
      stream.on('error', () => {
        if (failed) return;
        failed = true;
        refuse('malformedBody');
      });
    }
    stream.on('end', () => {
      if (failed) return;
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      // As express.json (strict): an empty body is {}, and only an object or an array is one.
      if (text.length === 0) {
        done({});
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (typeof body !== 'object' || body === null) sendHttpError(res, 'malformedBody');
      else done(body);
    });
  };

  const run = (req: IncomingMessage, res: ServerResponse, body: unknown, search: string, requestId: string): void => {
    respond(req, res, body, search, requestId).catch((error: unknown) => {
      logger.error({ err: error }, 'unhandled HTTP error');
      sendHttpError(res, 'internal');
    });
  };

  const respond = async (req: IncomingMessage, res: ServerResponse, body: unknown, search: string, requestId: string): Promise<void> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search, body },
      context: () => options.context(req, { requestId, clientIp: proxyaddr(req, trustProxy) || 'unknown', origin: originOf(req, trustProxy) }),
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
  };

  return {
    handle,
    execute(req, res, body) {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      run(req, res, body, query === -1 ? '' : url.slice(query), String(res.getHeader('x-request-id')));
    },
  };
}

/** `type/subtype` of a Content-Type, lower-cased, without parameters. */
function mediaType(header: string): string {
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** Express' `${req.protocol}://${req.get('host')}`: X-Forwarded-Proto counts when the peer is a trusted proxy. */
function originOf(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string | null {
  const host = req.headers.host;
  if (!host) return null;
  let protocol = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const forwarded = req.headers['x-forwarded-proto'];
  if (typeof forwarded === 'string' && forwarded !== '' && trust(req.socket.remoteAddress ?? '', 0)) {
    const comma = forwarded.indexOf(',');
    protocol = (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim();
  }
  return `${protocol}://${host}`;
}

/** Known routes by name; everything else as one label, so scanners cannot grow the metric. */
function routeLabel(path: string): string {
  if (path === '/graphql' || path === '/healthz' || path === '/readyz') return path;
  if (path.startsWith('/files/')) return '/files/:id';
  if (path === '/') return '/';
  if (path.startsWith('/assets/')) return '/assets/:file';
  if (path.startsWith('/uploads/tus')) return '/uploads/tus/:id';
  return 'other';
}
