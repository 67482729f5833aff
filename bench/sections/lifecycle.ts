/**
 * Section 6: start-up and shutdown, as an operator meets them. Embedded
 * PostgreSQL's first start (initdb) and a start on existing data, and how long
 * Payamak takes from SIGTERM to exit when idle (drain, sockets, listener,
 * background work, database). The tests check the order and what is answered;
 * the figures are here.
 */
import path from 'node:path';
import { once } from 'node:events';
import { pino } from 'pino';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import type { BenchContext } from '../lib/context.js';
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

  const table = ctx.report.table('6. Start-up and shutdown', ['step', 'ms']);
  table.add('embedded PostgreSQL, first start (initdb)', fmt(postgresColdStartMs));
  table.add('embedded PostgreSQL, start on its data', fmt(postgresWarmStartMs));
  table.add(`Payamak idle, SIGTERM to exit (code ${code})`, fmt(sigtermIdleExitMs));
  ctx.report.print(table);
  return { postgresColdStartMs, postgresWarmStartMs, sigtermIdleExitMs, sigtermExitCode: code };
}
