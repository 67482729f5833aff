/** What every section of the benchmark gets: the database, the servers under test, the report. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { spawnServer, type ServerChild } from './proc.js';
import type { Report } from './report.js';

export interface BenchOptions {
  /** Sections to run (all when empty). */
  only: Set<string>;
  /** Shorter runs, for trying the benchmark out; not for reporting. */
  quick: boolean;
  /** Start Payamak with --cpu-prof and print its hottest functions at the end. */
  profile: boolean;
  /** The connections section writes a heap snapshot of Payamak with its idle connections (bench/heap-top.ts). */
  heapSnapshot: boolean;
  /** Diagnosis only: delivery shapes whose name contains this. */
  shape?: string;
  /** Diagnosis only: these fixed rates instead of the standard ones (and no saturation run unless `saturation`). */
  rates?: number[];
  saturation: boolean;
  /** Diagnosis only: `ours` or `floor`. */
  who?: string;
  /** Diagnosis only: length of each fixed-rate run, ms. */
  runMs?: number;
  /** Diagnosis only: extra `node` arguments for the Payamak child (e.g. --perf-basic-prof). */
  serverNodeArgs: string[];
  /** Diagnosis only: connections to ramp instead of 10,000. */
  connections?: number;
  /** Diagnosis only: Payamak's LOG_LEVEL (default warn). */
  logLevel?: string;
  /** Messages the search section seeds instead of 1,000,000 (100,000 with --quick). */
  searchMessages?: number;
}

export interface BenchContext {
  /** Payamak's LOG_LEVEL: warn unless --log-level says otherwise. */
  logLevel: string;
  options: BenchOptions;
  repoRoot: string;
  /** Temporary folder of this run: database cluster, server data, logs, profiles. */
  tmp: string;
  databaseUrl: string;
  /** The load generator's own pool: seeding and the raw pg floor. */
  pool: pg.Pool;
  jwtSecret: string;
  /** Payamak as deployed: `node dist/index.js` (what `npm start` runs, built by {@link buildPayamak}), NODE_ENV=production. */
  ours: ServerChild;
  /** bench/floor-server.ts on the same database. */
  floor: ServerChild;
  report: Report;
  /** Milliseconds of a measured run at a fixed rate. */
  runMs: number;
  /** Starts another Payamak child on the same database (e.g. a fresh one for connection counts). */
  startPayamak(name: string, extraNodeArgs?: string[]): Promise<ServerChild>;
  /** Starts another floor child (`--no-db` for WebSockets only). */
  startFloor(name: string, args?: string[]): Promise<ServerChild>;
}

/**
 * The abuse limits that would refuse the bench's own load (one machine, one address, thousands of sockets and
 * sends): all off, and the bench says so in its output.
 */
export const ABUSE_LIMITS_OFF = Object.fromEntries(
  [
    ...[
      'API',
      'AUTH',
      'MESSAGES',
      'UPLOADS',
      'GROUP_ADDS',
      'CONNECT',
      'SIGNALS',
      'REFRESH',
      'USER_SEARCH',
      'INVITES',
      'INVITES_IP',
      'REPORTS',
      'DATA_EXPORT',
      'LINK_PREVIEWS',
    ].map((name) => `RATE_LIMIT_${name}`),
    'WS_MAX_PENDING_PER_IP',
  ].map((name) => [name, '0']),
);

export function payamakEnv(ctx: Pick<BenchContext, 'databaseUrl' | 'tmp' | 'jwtSecret'> & { logLevel?: string }, name: string): Record<string, string> {
  const dataDir = path.join(ctx.tmp, `${name}-data`);
  return {
    NODE_ENV: 'production',
    // As production runs: behind one reverse proxy (README, TRUST_PROXY); the transports send X-Forwarded-For.
    TRUST_PROXY: '1',
    HOST: '127.0.0.1',
    PORT: '0',
    // Metrics have their own listener; a free port, read back from the start-up print.
    METRICS_PORT: '0',
    DATABASE_URL: ctx.databaseUrl,
    DATA_DIR: dataDir,
    UPLOAD_DIR: path.join(dataDir, 'uploads'),
    JWT_SECRET: ctx.jwtSecret,
    LOG_LEVEL: ctx.logLevel ?? 'warn',
    ...ABUSE_LIMITS_OFF,
    // Scheduled messages due seconds ahead, not a minute: the lead is only checked, it changes no timing.
    SCHEDULE_MIN_LEAD_SECONDS: '2',
    // Only so the media section can ask the schema whether uploads exist.
    ENABLE_INTROSPECTION: 'true',
  };
}

/**
 * Builds src/ into dist/ as `npm start` does (scripts/build.mjs). The benchmark
 * measures that build, not tsx: tsx's transform names every function it
 * creates at run time (esbuild keepNames), which costs CPU and ~250 bytes per
 * closure; scripts/build.mjs does not.
 */
export function buildPayamak(repoRoot: string): void {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`scripts/build.mjs failed (exit ${result.status})`);
}

export function startPayamakChild(
  ctx: Pick<BenchContext, 'databaseUrl' | 'tmp' | 'jwtSecret' | 'repoRoot'> & { logLevel?: string },
  name: string,
  extraNodeArgs: string[] = [],
): Promise<ServerChild> {
  return spawnServer({
    name,
    nodeArgs: [...extraNodeArgs, 'dist/index.js'],
    env: payamakEnv(ctx, name),
    cwd: ctx.repoRoot,
    logFile: path.join(ctx.tmp, `${name}.log`),
  });
}

export function startFloorChild(ctx: Pick<BenchContext, 'databaseUrl' | 'tmp' | 'repoRoot'>, name: string, args: string[] = []): Promise<ServerChild> {
  return spawnServer({
    name,
    nodeArgs: ['--import', 'tsx', 'bench/floor-server.ts', ...args],
    env: { FLOOR_DATABASE_URL: ctx.databaseUrl },
    cwd: ctx.repoRoot,
    logFile: path.join(ctx.tmp, `${name}.log`),
  });
}
