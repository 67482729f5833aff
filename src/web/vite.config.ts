import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where `npm run build` writes the web client; the server serves it at `/` (src/server/web-routes.ts). */
export const WEB_OUT_DIR = path.resolve(here, '../../dist/web');

// The reference web client. Its output has no inline script or style, so it runs under the page's strict CSP.
export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: WEB_OUT_DIR,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // Every browser we support preloads modules itself; the polyfill would only add code.
    modulePreload: { polyfill: false },
    // Small assets as files, not data: URLs, so nothing needs more than img-src 'self'.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // One bundle of ~140 KB gzip (README, "Build your own client"); splitting it would buy a chat app little.
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true }, '/files': 'http://localhost:4000' } },
});
