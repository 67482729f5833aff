import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from './web-routes.js';

let dir: string;
let close: () => Promise<void>;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'payamak-web-'));
  const app = express();
  app.use(webRoutes({ root: dir, publicUrl: 'https://files.example.com/base' }));
  app.use((_req, res) => res.status(404).end());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

/** GET / with a Host header of our choosing (fetch sends its own). */
function policyFor(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { headers: { host } }, (res) => {
      res.resume();
      resolve(String(res.headers['content-security-policy']));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web routes', () => {
  it('without a build, / says how to make one, under the same policy', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('npm run build');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('serves a build made while it runs: index.html revalidated, hashed assets cached for a year', async () => {
    await mkdir(path.join(dir, 'assets'), { recursive: true });
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-abc123.js"></script>');
    await writeFile(path.join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('/assets/app-abc123.js');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = await policyFor('chat.example.com:8443');
    // Its own origin's sockets, and the file host of PUBLIC_URL for images.
    expect(csp).toContain("connect-src 'self' ws://chat.example.com:8443 wss://chat.example.com:8443");
    expect(csp).toContain("img-src 'self' blob: data: https://files.example.com");
    expect(csp).toContain("frame-ancestors 'none'");
    const asset = await fetch(`${base}/assets/app-abc123.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });

  it('names no socket origin from a Host header that is not a host', async () => {
    expect(await policyFor('evil.com;script-src')).toContain("connect-src 'self'; ");
  });
});
