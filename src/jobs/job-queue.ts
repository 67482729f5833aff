/**
 * Work that runs later (docs/design.md, "Work that runs later"): a job queue
 * in PostgreSQL, graphile-worker 0.16, running inside every server instance
 * on the app's own database. A job is a row: it survives restarts, one
 * instance runs it (row locks), and a handler that throws is retried with
 * graphile-worker's exponential backoff until `maxAttempts`; then it stays in
 * the table as failed, counted by adminHealth.
 *
 * 0.16.6, pinned exactly: the current 0.18 needs Node 22 (`engines`); 0.16.6
 * declares node >= 14, as do its dependencies, and is the release tested
 * here (0.17.3 declares the same and would be the next to try).
 *
 * Features name their jobs by augmenting {@link JobPayloads}:
 *
 *   declare module '../../jobs/index.js' { interface JobPayloads { push_retry: { subscriptionId: string } } }
 */
import { Logger as WorkerLogger, parseCronItems, run, type JobHelpers, type Runner, type TaskList } from 'graphile-worker';
import pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.js';
import { JOB_QUEUE_SCHEMA } from '../db/job-queue-schema.js';
import type { Logger } from '../lib/logger.js';

/** Each job's name and its payload (JSON). Augmented by the features that define jobs. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging
export interface JobPayloads {}

export type JobName = keyof JobPayloads & string;

/** What a handler learns of the job it runs. */
export interface JobRun {
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], run: JobRun) => Promise<void>;

export interface AddJobOptions {
  /** Not before this moment; default now. */
  runAt?: Date;
  /**
   * At most one pending job per key: adding again replaces its payload and
   * runAt; {@link JobQueue.remove} cancels it.
   */
  jobKey?: string;
  /** Runs before it counts as failed; default 5. */
  maxAttempts?: number;
}

/** Anything that runs raw SQL: the Prisma client or one of its transactions. */
export interface SqlExecutor {
  $executeRaw: PrismaClient['$executeRaw'];
  $queryRaw: PrismaClient['$queryRaw'];
}

export interface JobCounts {
  /** Waiting to run: due now, due later, or waiting for a retry. */
  queued: number;
  /** Taken by a worker right now. */
  running: number;
  /** Out of attempts; kept until an operator deletes or reschedules them. */
  failed: number;
}

export interface JobQueueOptions {
  prisma: PrismaClient;
  /** The URL the app's queries use (the runtime role on the embedded server): the worker's own small pool. */
  databaseUrl: string;
  logger: Logger;
  /**
   * How often each instance looks for jobs that came due. New jobs due now
   * are announced (LISTEN/NOTIFY) and start at once; this bounds the lateness
   * of jobs scheduled ahead.
   * @defaultValue 1,000 ms
   */
  pollIntervalMs?: number;
  /** Jobs one instance runs at once. @defaultValue 6 */
  concurrency?: number;
}

interface CronEntry {
  name: string;
  match: string;
}

/**
 * Jobs one instance runs at once. They mostly wait on the database (a
 * scheduled send is a transaction around a send, ~2 connections from the
 * app's Prisma pool), so when the server is busy a job takes as long as a
 * request does (~1 s at saturation here) and a low number falls behind: with
 * 2, ten scheduled sends due per second under 200 sends/s arrived 5 s late.
 * The worker's own pool has one connection per job plus one for LISTEN.
 */
const DEFAULT_CONCURRENCY = 6;

export class JobQueue {
  readonly #options: JobQueueOptions;
  readonly #tasks: TaskList = {};
  readonly #cron: CronEntry[] = [];
  #runner: Runner | undefined;
  #pool: pg.Pool | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: JobQueueOptions) {
    this.#options = options;
  }

  /** Registers the handler of one job; before {@link start}. */
  define<N extends JobName>(name: N, handler: JobHandler<N>): void {
    if (this.#runner) throw new Error(`job ${name} defined after the queue started`);
    if (this.#tasks[name]) throw new Error(`job ${name} is defined twice`);
    const logger = this.#options.logger;
    this.#tasks[name] = async (payload: unknown, helpers: JobHelpers) => {
      const { job } = helpers;
      try {
        await handler(payload as JobPayloads[N], { attempt: job.attempts, maxAttempts: job.max_attempts });
      } catch (error) {
        const last = job.attempts >= job.max_attempts;
        logger[last ? 'error' : 'warn'](
          { err: error, job: name, jobId: job.id, attempt: job.attempts },
          last ? 'job failed for good' : 'job failed; retried later',
        );
        throw error;
      }
    };
  }

  /**
   * Runs `name` on a cron schedule (`match`, e.g. "0 * * * *"), once per tick
   * across all instances; a tick missed while every instance was down is not
   * made up.
   */
  every<N extends JobName>(name: N, match: string, handler: JobHandler<N>): void {
    this.define(name, handler);
    this.#cron.push({ name, match });
  }

  /** Queues a job. With `executor` a transaction, it exists only if that transaction commits. */
  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: AddJobOptions = {}, executor: SqlExecutor = this.#options.prisma): Promise<void> {
    await executor.$executeRaw`
      SELECT graphile_worker.add_job(
        identifier => ${name}::text,
        payload => ${JSON.stringify(payload)}::json,
        run_at => ${options.runAt ?? null}::timestamptz,
        max_attempts => ${options.maxAttempts ?? 5}::int,
        job_key => ${options.jobKey ?? null}::text,
        job_key_mode => 'replace')`;
  }

  /** Cancels the pending job with this key, unless a worker runs it right now; true when one was removed. */
  async remove(jobKey: string, executor: SqlExecutor = this.#options.prisma): Promise<boolean> {
    const [row] = await executor.$queryRaw<{ id: bigint | null }[]>`SELECT (graphile_worker.remove_job(${jobKey}::text)).id`;
    return row?.id !== null && row?.id !== undefined;
  }

  async counts(): Promise<JobCounts> {
    const [row] = await this.#options.prisma.$queryRawUnsafe<{ queued: number; running: number; failed: number }[]>(`
      SELECT count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts)::int AS queued,
             count(*) FILTER (WHERE locked_at IS NOT NULL AND attempts < max_attempts)::int AS running,
             count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
      FROM ${JOB_QUEUE_SCHEMA}._private_jobs`);
    return row ?? { queued: 0, running: 0, failed: 0 };
  }

  /** Starts taking jobs; the schema was migrated with ours (src/db/migrations.ts). */
  async start(): Promise<void> {
    if (this.#runner) return;
    const { logger, databaseUrl } = this.#options;
    const concurrency = this.#options.concurrency ?? DEFAULT_CONCURRENCY;
    // One connection per job running, one for LISTEN: graphile-worker warns below that.
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency + 1 });
    // A dropped connection (database restart) must not crash the process: the worker reconnects.
    this.#pool.on('error', (error) => logger.warn({ err: error }, 'job queue connection lost'));
    this.#runner = await run({
      pgPool: this.#pool,
      schema: JOB_QUEUE_SCHEMA,
      taskList: this.#tasks,
      parsedCronItems: parseCronItems(
        this.#cron.map(({ name, match }) => ({ task: name, match, identifier: name, options: { backfillPeriod: 0, maxAttempts: 3 } })),
      ),
      concurrency,
      pollInterval: this.#options.pollIntervalMs ?? 1000,
      noHandleSignals: true,
      logger: workerLogger(logger),
    });
    logger.debug({ jobs: Object.keys(this.#tasks) }, 'job queue started');
  }

  /** Takes no new jobs, waits for running ones, then closes the worker's connections. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const runner = this.#runner;
      if (runner) await runner.stop();
      await this.#pool?.end();
    })();
    return this.#stopping;
  }
}

/** graphile-worker's logs into ours; its debug chatter (every poll) stays out below debug. */
function workerLogger(logger: Logger): WorkerLogger {
  const log = logger.child({ module: 'jobs' });
  return new WorkerLogger(() => (level, message, meta) => {
    const fields = { ...meta };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.debug(fields, message);
    else log.trace(fields, message);
  });
}
