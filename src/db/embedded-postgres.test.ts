import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { findRepoRoot } from './migration-files.js';
import { DataDirInUseError } from './postgres-processes.js';
import { queryOnce } from '../test/database.js';

const logger = pino({ level: 'silent' });
// One folder for the file: the first test initialises the cluster, the others start warm (~40 ms, not ~700 ms).
let dataDir: string;

beforeAll(async () => {
  // A 0700 folder under /tmp, as mkdtemp makes it: the server must cope when it runs as another user.
  dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-embedded-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function postmasterPid(): Promise<number> {
  const content = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');
  return Number.parseInt(content.split('\n', 1)[0] ?? '', 10);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number): Promise<void> {
  for (let i = 0; i < 400 && isAlive(pid); i++) await sleep(25);
  expect(isAlive(pid)).toBe(false);
}

describe('startEmbeddedPostgres', () => {
  it('initialises a cluster once; a second start reuses its data', async () => {
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    // Cold and warm start times are measured by `npm run bench` (lifecycle).
    const first = await startEmbeddedPostgres({ dataDir, logger });
    expect(first.url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${first.port}/payamak$`));
    await queryOnce(first.url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written before stop')");
    await first.stop();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(await queryOnce(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'written before stop' }]);
      expect(await queryOnce(second.url, "SELECT current_setting('server_encoding') AS encoding")).toEqual([{ encoding: 'UTF8' }]);
    } finally {
      await second.stop();
    }
  });

  it('leaves process signal handling to the app', async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const;
    const before = events.map((event) => process.listenerCount(event));
    const server = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(events.map((event) => process.listenerCount(event))).toEqual(before);
    } finally {
      await server.stop();
    }
  });

  it("runs PostgreSQL in a process group of its own: a signal to Node's group (Ctrl-C, systemd) reaches Node alone", async () => {
    // The process group is the fifth field of /proc/<pid>/stat, after the parenthesised command name.
    const groupOf = async (pid: number | 'self') => Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[2]);
    const server = await startEmbeddedPostgres({ dataDir, logger });
    let pid = 0;
    try {
      pid = await postmasterPid();
      expect(await groupOf(pid)).toBe(pid);
      expect(await groupOf('self')).not.toBe(pid);
    } finally {
      await server.stop();
    }
    // Still stopped by its stop(), out of Node's group or not.
    expect(isAlive(pid)).toBe(false);
  });

  it('refuses a data folder whose server belongs to a live process', async () => {
    const server = await startEmbeddedPostgres({ dataDir, logger });
    try {
      await expect(startEmbeddedPostgres({ dataDir, logger })).rejects.toBeInstanceOf(DataDirInUseError);
    } finally {
      await server.stop();
    }
  });

  it('stops a server left running by a killed process, then starts on its data', async () => {
    const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;
    const script = [
      `import { pino } from 'pino';`,
      `import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};`,
      `import pg from 'pg';`,
      `const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, logger: pino({ level: 'silent' }) });`,
      `const client = new pg.Client({ connectionString: server.url });`,
      `await client.connect();`,
      `await client.query("CREATE TABLE kept_across_kill (note text); INSERT INTO kept_across_kill VALUES ('from the killed process')");`,
      `await client.end();`,
      `process.stdout.write('ready\\n');`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: findRepoRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    expect(chunk.toString()).toContain('ready');
    const orphan = await postmasterPid();
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(isAlive(orphan)).toBe(true);

    const server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(isAlive(orphan)).toBe(false);
      expect(await queryOnce(server.url, 'SELECT note FROM kept_across_kill')).toEqual([{ note: 'from the killed process' }]);
    } finally {
      await server.stop();
    }
  });

  it('starts after its server itself was killed, over the stale postmaster.pid', async () => {
    const first = await startEmbeddedPostgres({ dataDir, logger });
    const pid = await postmasterPid();
    process.kill(pid, 'SIGKILL');
    await waitUntilDead(pid);

    const second = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(await queryOnce(second.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
