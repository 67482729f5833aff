/**
 * Section 6: start-up and shutdown, as an operator meets them. Embedded
 * PostgreSQL's first start (initdb) and a start on existing data, and how long
 * Payamak takes from SIGTERM to exit when idle (drain, sockets, listener,
 * background work, database). The tests check the order and what is answered;
 * the figures are here.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import type { BenchContext } from '../lib/context.js';
import { LISTENING } from '../lib/proc.js';
import { progress } from '../lib/report.js';
import { fmt, nowMs } from '../lib/stats.js';

export interface LifecycleResults {
  /** Embedded PostgreSQL in an empty folder: initdb, start, create the database. */
  postgresColdStartMs: number;
  /** The same folder again, its data kept. */
  postgresWarmStartMs: number;
  /** Payamak (node dist/index.js, production), idle: SIGTERM to process exit. */
  sigtermIdleExitMs: number;
  sigtermExitCode: number | null;
  /** `npm start` with no build stamps and an empty data folder (a fresh clone after npm ci) until it listens. */
  npmStartColdMs: number;
  /** `npm start` again: the tree built, the data kept. */
  npmStartSecondMs: number;
}

/**
 * Runs `npm start` as a newcomer does (embedded PostgreSQL, its own data folder)
 * until it prints that it listens, then stops it with SIGTERM to its process
 * group, as Ctrl-C or systemd would (PostgreSQL has a group of its own).
 */
async function timeNpmStart(repoRoot: string, dataDir: string): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  // A newcomer's settings: none (production would ask for JWT_SECRET).
  for (const name of ['NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'UPLOAD_DIR']) delete env[name];
  const started = nowMs();
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s\n${output.slice(-2000)}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (LISTENING.test(output)) {
          clearTimeout(timer);
          resolve(nowMs() - started);
        }
      });
      void exited.then(() => reject(new Error(`npm start exited during start-up\n${output.slice(-2000)}`)));
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

export async function lifecycleSection(ctx: BenchContext): Promise<LifecycleResults> {
  progress('lifecycle: embedded PostgreSQL, cold and warm start');
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const dataDir = path.join(ctx.tmp, 'lifecycle-postgres');
  let started = nowMs();
  const cold = await startEmbeddedPostgres({ dataDir, logger });
  const postgresColdStartMs = nowMs() - started;
  await cold.stop();
  started = nowMs();
  const warm = await startEmbeddedPostgres({ dataDir, logger });
  const postgresWarmStartMs = nowMs() - started;
  await warm.stop();

  progress('lifecycle: Payamak from SIGTERM to exit, idle');
  const server = await ctx.startPayamak('lifecycle');
  const exited = once(server.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  started = nowMs();
  server.child.kill('SIGTERM');
  const [code] = await exited;
  const sigtermIdleExitMs = nowMs() - started;

  progress('lifecycle: npm start, cold (build stamps removed, empty data folder) and again');
  // dist/ is rebuilt in place, to the same files: later sections start Payamak from it again.
  await rm(path.join(ctx.repoRoot, 'dist', '.build-stamp.json'), { force: true });
  await rm(path.join(ctx.repoRoot, 'dist', 'web', '.build-stamp.json'), { force: true });
  const npmDataDir = path.join(ctx.tmp, 'npm-start-data');
  const npmStartColdMs = await timeNpmStart(ctx.repoRoot, npmDataDir);
  const npmStartSecondMs = await timeNpmStart(ctx.repoRoot, npmDataDir);
  ctx.report.target('npm start, second start (built tree, data kept), listening in < 1.5 s', `${fmt(npmStartSecondMs)} ms`, npmStartSecondMs < 1500);
  ctx.report.target('npm start, cold (server and web client built, initdb), listening in < 6 s', `${fmt(npmStartColdMs)} ms`, npmStartColdMs < 6000);

  const table = ctx.report.table('6. Start-up and shutdown', ['step', 'ms']);
  table.add('embedded PostgreSQL, first start (initdb)', fmt(postgresColdStartMs));
  table.add('embedded PostgreSQL, start on its data', fmt(postgresWarmStartMs));
  table.add(`Payamak idle, SIGTERM to exit (code ${code})`, fmt(sigtermIdleExitMs));
  table.add('npm start, cold: builds (esbuild, Vite), initdb, migrations, until it listens', fmt(npmStartColdMs));
  table.add('npm start, second start: built tree, data kept, until it listens', fmt(npmStartSecondMs));
  ctx.report.print(table);
  return { postgresColdStartMs, postgresWarmStartMs, sigtermIdleExitMs, sigtermExitCode: code, npmStartColdMs, npmStartSecondMs };
}
