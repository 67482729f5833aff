import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A spawned `src/index.ts`: its exit, the URL it says it listens on, and what it printed. */
export interface EntryProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  listening: Promise<string>;
  output(): { stdout: string; stderr: string };
}

/**
 * Runs the real entry point, as `npm start` does, with only the given variables
 * set (beside PATH, HOME, NODE_ENV=development and LOG_LEVEL=warn, which `env`
 * may override). The child is kept in `children` until it exits, so a test
 * file's afterAll can kill what is left.
 */
export function runEntry(env: Record<string, string>, children: Set<ChildProcess>): EntryProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
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
