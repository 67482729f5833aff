import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A spawned entry point: its exit, the URL it says it listens on, and what it printed. */
export interface EntryProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  listening: Promise<string>;
  output(): { stdout: string; stderr: string };
}

/**
 * Builds what `npm start` serves (scripts/build.mjs: the server bundle in
 * dist/ and the web client in dist/web/), each part only when its inputs
 * changed. The tests' global setup runs it once, before any test file, so no
 * two test files rebuild dist/ under each other.
 */
export function buildAsNpmStartDoes(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root }, (error, stdout, stderr) =>
      error ? reject(new Error(`scripts/build.mjs failed (${error.message}): ${stdout}${stderr}`)) : resolve(),
    );
  });
}

/**
 * Runs the real entry point with only the given variables set (beside PATH,
 * HOME, NODE_ENV=development and LOG_LEVEL=warn, which `env` may override):
 * src/index.ts through tsx, or with `built`, dist/index.js as `npm start`
 * runs it (see {@link buildAsNpmStartDoes}). The child is kept in `children`
 * until it exits, so a test file's afterAll can kill what is left.
 */
export function runEntry(env: Record<string, string>, children: Set<ChildProcess>, options: { built?: boolean } = {}): EntryProcess {
  const args = options.built ? ['dist/index.js'] : ['--import', 'tsx', 'src/index.ts'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`exited ${code} before listening:\n${stdout}\n${stderr}`)));
  });
  listening.catch(() => undefined); // a test that expects an early exit never awaits it
  return { child, exited, listening, output: () => ({ stdout, stderr }) };
}
