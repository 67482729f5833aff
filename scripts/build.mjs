#!/usr/bin/env node
/**
 * Builds what `npm start` serves: the server into dist/ with esbuild, one
 * output file per source file (no bundling: dist/ mirrors src/), and the web
 * client into dist/web/ with Vite (src/web/vite.config.ts).
 *
 * Type-checking is not done here: `npm run typecheck` and CI do it. tsc takes
 * about 6 s on this tree where esbuild takes a fraction of one, and `npm start`
 * runs this first, so a start with nothing changed reads two stamps and goes.
 *
 *   node scripts/build.mjs           each part only when one of its inputs was added, removed or changed
 *   node scripts/build.mjs --force   both parts
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');
const webOut = path.join(out, 'web');
// Part of the server's stamp, so a change to how we build rebuilds too.
const SERVER_OPTIONS = { format: 'esm', platform: 'node', target: 'node20', sourcemap: true };
const WEB_INPUTS = ['src/web/app', 'src/web/gql', 'src/web/index.html', 'src/web/vite.config.ts', 'package-lock.json'];
const force = process.argv.includes('--force');

/** Server sources: tests, the testkit and the web client stay out. */
function isServerSource(relative) {
  if (!relative.endsWith('.ts') || relative.endsWith('.d.ts') || relative.endsWith('.test.ts')) return false;
  const top = relative.split(path.sep)[0];
  return top !== 'test' && top !== 'web';
}

async function filesUnder(target, keep = () => true) {
  const entries = await readdir(target, { withFileTypes: true }).catch(() => null);
  if (!entries) return keep(target) ? [target] : [];
  const nested = await Promise.all(entries.map((entry) => filesUnder(path.join(target, entry.name), keep)));
  return nested.flat();
}

/** Names, sizes and mtimes of the inputs (and how they are built): what a stamp records. */
async function fingerprint(files, options) {
  const stats = await Promise.all(files.map((file) => stat(file)));
  const entries = files.map((file, i) => [path.relative(root, file), `${stats[i].size}:${Math.trunc(stats[i].mtimeMs)}`]);
  return JSON.stringify({ options, files: Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))) });
}

const readStamp = (file) => readFile(file, 'utf8').catch(() => null);

async function buildServer() {
  const started = performance.now();
  const files = await filesUnder(src, (file) => isServerSource(path.relative(src, file)));
  const stampFile = path.join(out, '.build-stamp.json');
  const current = await fingerprint(files, SERVER_OPTIONS);
  if (!force && (await readStamp(stampFile)) === current) return;
  // Removed sources must not leave their outputs behind, nor an older tree's (tsc's) outputs.
  for (const entry of await readdir(out).catch(() => [])) {
    if (entry !== 'web') await rm(path.join(out, entry), { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  // Loaded only when there is something to build.
  const { build } = await import('esbuild');
  await build({ entryPoints: files, outdir: out, outbase: src, bundle: false, logLevel: 'warning', ...SERVER_OPTIONS });
  await writeFile(stampFile, current);
  console.log(`build: server, ${files.length} files into dist/ in ${Math.round(performance.now() - started)} ms (esbuild)`);
}

async function buildWeb() {
  const started = performance.now();
  const files = (await Promise.all(WEB_INPUTS.map((input) => filesUnder(path.join(root, input))))).flat();
  const stampFile = path.join(webOut, '.build-stamp.json');
  const current = await fingerprint(files, { mode: 'production' });
  if (!force && (await readStamp(stampFile)) === current) return;
  const { build } = await import('vite');
  // Vite bundles React's development build unless NODE_ENV says production (vitest sets it to test).
  process.env.NODE_ENV = 'production';
  await build({ configFile: path.join(root, 'src/web/vite.config.ts'), mode: 'production', logLevel: 'warn' });
  // Written after the build: Vite empties dist/web first.
  await writeFile(stampFile, current);
  console.log(`build: web client into dist/web/ in ${Math.round(performance.now() - started)} ms (Vite)`);
}

await buildServer();
await buildWeb();
