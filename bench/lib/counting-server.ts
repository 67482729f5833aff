/**
 * Payamak in this process, on the bench's database, with a count of the SQL
 * statements it sends (app.ts' `onQuery` hook, every Prisma and pg statement):
 * what a request costs the database, beside the child's timings.
 */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from './context.js';
import { payamakEnv } from './context.js';
import { sleep } from './stats.js';

export interface CountingServer {
  readonly url: string;
  /**
   * Statements `work` caused: counted from its start until none came for
   * `quietMs` (what it set off after answering, such as events rendered for
   * subscribers, counts too).
   */
  count(work: () => Promise<unknown>, quietMs?: number): Promise<number>;
  close(): Promise<void>;
}

export async function startCountingServer(ctx: BenchContext, name: string, tuning: { disableDataLoaders?: boolean } = {}): Promise<CountingServer> {
  await import('reflect-metadata'); // before any type-graphql class is declared
  const { startServer } = await import('../../src/server/app.js');
  const { parseEnv } = await import('../../src/config/env.js');
  const { createLogger } = await import('../../src/lib/logger.js');
  const env = parseEnv({ ...payamakEnv(ctx, name), DATA_DIR: await mkdtemp(path.join(ctx.tmp, `${name}-`)), LOG_LEVEL: 'silent' });
  let statements = 0;
  let lastAt = 0;
  const server = await startServer({
    env,
    logger: createLogger(env),
    tuning,
    onQuery: (event) => {
      if (process.env['TRACE_SQL']) process.stdout.write(`SQL ${event.sql.replace(/\s+/g, ' ').slice(0, 160)}\n`);
      statements++;
      lastAt = Date.now();
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    async count(work, quietMs = 0) {
      statements = 0;
      lastAt = Date.now();
      await work();
      for (let idle = Date.now() - lastAt; idle < quietMs; idle = Date.now() - lastAt) await sleep(quietMs - idle);
      return statements;
    },
    close: () => server.close(),
  };
}
