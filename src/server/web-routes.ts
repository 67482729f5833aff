import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type Request, type Router } from 'express';

/** Options for {@link webRoutes}. */
export interface WebRoutesOptions {
  /** The web client's build (`vite build` output: index.html and assets/); default dist/web of the repository. */
  root: string;
  /** PUBLIC_URL: file URLs point there when set, so the page may load images from it. */
  publicUrl?: string | undefined;
}

/** What `/` answers when the web client was never built: a page with no script, under the same policy. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payamak</title></head>
<body><h1>Payamak</h1><p>The web client is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds), then reload.</p>
<p>The API is at <a href="/graphql">/graphql</a>.</p></body></html>
`;

const HOST = /^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i;

/**
 * The reference web client (src/web) at `/`. Its assets are named by their
 * content's hash (Vite), so they are cached for a year and never revalidated;
 * index.html names the current ones and is revalidated on every load, so a
 * new build reaches browsers at their next visit.
 *
 * The page gets its own Content-Security-Policy in every environment, not
 * helmet's (which is off outside production for Sandbox's CDN scripts): only
 * our own scripts and styles, no inline ones, and connections to this origin,
 * WebSockets included (`'self'` covers ws: only in browsers that implement
 * CSP 3 fully, so the ws(s) origin is named too).
 */
export function webRoutes(options: WebRoutesOptions): Router {
  const router = express.Router();
  const files = options.publicUrl ? ` ${new URL(options.publicUrl).origin}` : '';
  const policy = (req: Request) => {
    const host = req.headers.host;
    const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
    return [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' blob: data:${files}`,
      `media-src 'self' blob:${files}`,
      `connect-src 'self'${sockets}`,
      "font-src 'self'",
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  };

  router.use(
    '/assets',
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', "default-src 'none'");
      next();
    },
    express.static(path.join(options.root, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true, etag: true }),
  );

  router.get('/', async (req, res) => {
    res.setHeader('Content-Security-Policy', policy(req));
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html');
    // Read on each visit (a few hundred bytes): a build made while the server runs is served at once.
    const page = await readFile(path.join(options.root, 'index.html'), 'utf8').catch(() => undefined);
    if (page === undefined) res.status(200).send(NOT_BUILT);
    else res.send(page);
  });
  return router;
}
