/**
 * The job queue on a real PostgreSQL: once, retried, after a restart, across
 * two instances, counted, and stopped with the work it was running finished.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { createTestDatabase, type TestDatabase } from '../test/database.js';
import { JobQueue, type JobQueueOptions } from './job-queue.js';

declare module './job-queue.js' {
  interface JobPayloads {
    test_once: { n: number };
    test_flaky: { n: number };
    test_doomed: Record<string, never>;
    test_slow: { ms: number };
  }
}

const logger = pino({ level: 'silent' });
let testDatabase: TestDatabase;
let database: Database;
const queues: JobQueue[] = [];

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: 'unused', logger });
});

afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.stop()));
  await database.close();
  await testDatabase.drop();
});

function queue(options: Partial<JobQueueOptions> = {}): JobQueue {
  const made = new JobQueue({ prisma: database.prisma, databaseUrl: database.url, logger, pollIntervalMs: 100, ...options });
  queues.push(made);
  return made;
}

/** Removes every job, so each test counts only its own. */
async function emptyQueue(): Promise<void> {
  await database.prisma.$executeRaw`DELETE FROM graphile_worker._private_jobs`;
}

describe('JobQueue', () => {
  it('runs a job once with its payload, and one due later not before its time', async () => {
    await emptyQueue();
    const runs: { n: number; at: number }[] = [];
    const jobs = queue();
    jobs.define('test_once', async ({ n }) => void runs.push({ n, at: Date.now() }));
    await jobs.start();
    await jobs.add('test_once', { n: 1 });
    const dueAt = Date.now() + 800;
    await jobs.add('test_once', { n: 2 }, { runAt: new Date(dueAt) });
    await expect.poll(() => runs.length, { timeout: 10_000 }).toBe(2);
    expect(runs.map((run) => run.n)).toEqual([1, 2]);
    expect(runs[1]!.at).toBeGreaterThanOrEqual(dueAt - 50);
    await sleep(500);
    expect(runs).toHaveLength(2);
    expect(await jobs.counts()).toEqual({ queued: 0, running: 0, failed: 0 });
    await jobs.stop();
  });

  it('retries a job that throws, with backoff, until it succeeds; one out of attempts counts as failed', async () => {
    await emptyQueue();
    const attempts: number[] = [];
    const jobs = queue();
    jobs.define('test_flaky', async (_payload, run) => {
      attempts.push(Date.now());
      if (run.attempt < 2) throw new Error('not yet');
    });
    jobs.define('test_doomed', async () => {
      throw new Error('never');
    });
    await jobs.start();
    await jobs.add('test_flaky', { n: 1 });
    await jobs.add('test_doomed', {}, { maxAttempts: 1 });
    await expect.poll(() => attempts.length, { timeout: 15_000 }).toBe(2);
    // graphile-worker waits exp(attempts) seconds before a retry: about 2.7 s after the first failure.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThan(2000);
    await expect.poll(() => jobs.counts(), { timeout: 5000 }).toEqual({ queued: 0, running: 0, failed: 1 });
    const [failed] = await database.prisma.$queryRaw<{ task_identifier: string; last_error: string }[]>`
      SELECT task_identifier, last_error FROM graphile_worker.jobs WHERE attempts >= max_attempts`;
    expect(failed).toMatchObject({ task_identifier: 'test_doomed', last_error: expect.stringContaining('never') });
    await jobs.stop();
  });

  it('keeps a job across a restart, and a key holds one pending job that can be cancelled', async () => {
    await emptyQueue();
    const before = queue();
    before.define('test_once', async () => {
      throw new Error('the first instance must not run it');
    });
    await before.start();
    await before.add('test_once', { n: 1 }, { runAt: new Date(Date.now() + 1500), jobKey: 'k' });
    await before.add('test_once', { n: 2 }, { runAt: new Date(Date.now() + 1500), jobKey: 'k' });
    await before.add('test_once', { n: 3 }, { runAt: new Date(Date.now() + 1500), jobKey: 'gone' });
    expect(await before.remove('gone')).toBe(true);
    expect(await before.remove('gone')).toBe(false);
    await before.stop();
    expect(await before.counts()).toEqual({ queued: 1, running: 0, failed: 0 });

    const runs: number[] = [];
    const after = queue();
    after.define('test_once', async ({ n }) => void runs.push(n));
    await after.start();
    await expect.poll(() => runs, { timeout: 10_000 }).toEqual([2]);
    await after.stop();
  });

  it('runs each job on one of two instances, never both', async () => {
    await emptyQueue();
    const ran = new Map<number, string[]>();
    const instances = ['a', 'b'].map((name) => {
      const jobs = queue();
      jobs.define('test_once', async ({ n }) => {
        await sleep(5);
        ran.set(n, [...(ran.get(n) ?? []), name]);
      });
      return { name, jobs };
    });
    await Promise.all(instances.map(({ jobs }) => jobs.start()));
    const runAt = new Date(Date.now() + 500);
    for (let n = 0; n < 60; n += 1) await instances[n % 2]!.jobs.add('test_once', { n }, { runAt });
    await expect.poll(() => ran.size, { timeout: 15_000 }).toBe(60);
    await sleep(300);
    expect([...ran.values()].every((names) => names.length === 1)).toBe(true);
    const byInstance = [...ran.values()].flat();
    expect(byInstance.filter((name) => name === 'a').length + byInstance.filter((name) => name === 'b').length).toBe(60);
    await Promise.all(instances.map(({ jobs }) => jobs.stop()));
  });

  it('a job added in a transaction exists only if it commits', async () => {
    await emptyQueue();
    const jobs = queue();
    await database.prisma.$transaction(async (tx) => jobs.add('test_once', { n: 1 }, {}, tx));
    await expect(
      database.prisma.$transaction(async (tx) => {
        await jobs.add('test_once', { n: 2 }, {}, tx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await database.prisma.$queryRaw<{ payload: { n: number } }[]>`SELECT payload FROM graphile_worker._private_jobs`;
    expect(rows.map((row) => row.payload.n)).toEqual([1]);
  });

  it('stop waits for the job it is running, and takes no more', async () => {
    await emptyQueue();
    const finished: number[] = [];
    let started = 0;
    const jobs = queue({ concurrency: 1 });
    jobs.define('test_slow', async ({ ms }) => {
      started += 1;
      await sleep(ms);
      finished.push(ms);
    });
    await jobs.start();
    await jobs.add('test_slow', { ms: 700 });
    await jobs.add('test_slow', { ms: 701 });
    await expect.poll(() => started, { timeout: 5000 }).toBe(1);
    await jobs.stop();
    expect(finished).toEqual([700]);
    expect(started).toBe(1);
    expect(await jobs.counts()).toEqual({ queued: 1, running: 0, failed: 0 });
  });

  it('refuses a job defined twice or after start', async () => {
    const jobs = queue();
    jobs.define('test_once', async () => undefined);
    expect(() => jobs.define('test_once', async () => undefined)).toThrow('defined twice');
    await jobs.start();
    expect(() => jobs.define('test_flaky', async () => undefined)).toThrow('after the queue started');
    await jobs.stop();
  });
});
