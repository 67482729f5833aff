import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test/database.js';
import { openDatabase, type Database } from './database.js';
import { runningEmbeddedUrl } from './embedded-cluster-files.js';
import { createQueryCounter } from './prisma-client.js';
import { JobQueue } from '../jobs/job-queue.js';

declare module '../jobs/job-queue.js' {
  interface JobPayloads {
    role_check: { who: string };
  }
}

const logger = pino({ level: 'silent' });
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const newUser = (username: string) => ({ username, displayName: 'Test User', passwordHash: 'not-a-real-hash' });

describe('openDatabase', () => {
  it('migrates the database at a URL and counts the statements Prisma sends', async () => {
    const testDatabase = await createTestDatabase({ empty: true });
    const counter = createQueryCounter();
    const database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: 'unused', logger, onQuery: counter.onQuery });
    try {
      expect(database.embedded).toBe(false);

      counter.reset();
      const created = await database.prisma.user.create({ data: newUser('ada') });
      expect(counter.count).toBe(1);

      counter.reset();
      const found = await database.prisma.user.findUnique({ where: { id: created.id } });
      expect(found).toMatchObject({ username: 'ada', role: 'USER', active: true });
      expect(counter.statements).toHaveLength(1);
      expect(counter.statements[0]).toMatch(/^SELECT/);

      // BEGIN is not reported by Prisma, COMMIT is: two statements count three.
      counter.reset();
      await database.prisma.$transaction(async (tx) => {
        await tx.user.count();
        await tx.user.findFirst();
      });
      expect(counter.count).toBe(3);

      expect(await database.ping()).toBeGreaterThanOrEqual(0);
    } finally {
      await database.close();
      await database.close();
      await testDatabase.drop();
    }
  });

  it('starts embedded PostgreSQL when there is no URL, and stops it on close', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-open-'));
    dirs.push(dataDir);

    const database = await openDatabase({ dataDir, logger });
    try {
      expect(database.embedded).toBe(true);
      const created = await database.prisma.user.create({ data: newUser('grace') });
      expect(await database.prisma.user.findUniqueOrThrow({ where: { username: 'grace' } })).toMatchObject({ id: created.id });
    } finally {
      await database.close();
      await database.close();
    }

    const client = new pg.Client({ connectionString: database.url });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('runs the embedded database as a role with data rights only, across restarts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-role-'));
    dirs.push(dataDir);
    // What an SQL injection would try; each must be refused with "insufficient privilege" (42501).
    const refused = [
      `COPY (SELECT 1) TO PROGRAM 'true'`,
      `SELECT pg_read_file('PG_VERSION')`,
      'CREATE TABLE "Intruder" ("id" int)',
      'DROP TABLE "User"',
      'ALTER TABLE "User" ADD COLUMN "x" int',
      'TRUNCATE "Message"',
      'DELETE FROM "_prisma_migrations"',
      'CREATE ROLE "intruder"',
      'ALTER ROLE CURRENT_USER SUPERUSER',
      'CREATE OR REPLACE FUNCTION "payamak_append_message"() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'DROP TABLE graphile_worker._private_jobs',
      'ALTER TABLE graphile_worker._private_jobs DISABLE ROW LEVEL SECURITY',
    ];
    const check = async (database: Database, username: string) => {
      const { prisma } = database;
      expect(new URL(database.url).username).toBe('payamak_app');
      const [me] = await prisma.$queryRaw<{ user: string; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; owns: bigint }[]>`
        SELECT current_user AS "user", r.rolsuper, r.rolcreaterole, r.rolcreatedb,
               (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owns
        FROM pg_roles r WHERE r.rolname = current_user`;
      expect(me).toEqual({ user: 'payamak_app', rolsuper: false, rolcreaterole: false, rolcreatedb: false, owns: 0n });
      for (const sql of refused) {
        await expect(prisma.$executeRawUnsafe(sql), sql).rejects.toThrow(/42501/);
      }

      const user = await prisma.user.create({ data: newUser(username) });
      const chat = await prisma.chat.create({ data: { kind: 'GROUP', title: 'g', members: { create: { userId: user.id } } } });
      const [appended] = await prisma.$queryRaw<{ outcome: string; seq: number; memberIds: string[] }[]>`
        SELECT "outcome", "seq", "memberIds" FROM "payamak_append_message"(
          ${chat.id}::uuid, ${user.id}::uuid, 'TEXT'::"MessageKind", 'hello', NULL, NULL, NULL, ${user.id}::uuid, ${user.id}::uuid, false, 0)`;
      expect(appended).toEqual({ outcome: 'appended', seq: 1, memberIds: [user.id] });
      await prisma.message.updateMany({ where: { chatId: chat.id }, data: { text: 'edited' } });
      await prisma.chatMember.deleteMany({ where: { chatId: chat.id } });

      // The job queue runs as this role too: through graphile-worker's row security (policies made by ensureAppRole).
      const ran: string[] = [];
      const jobs = new JobQueue({ prisma, databaseUrl: database.url, logger, pollIntervalMs: 100 });
      jobs.define('role_check', async ({ who }) => void ran.push(who));
      await jobs.start();
      try {
        await jobs.add('role_check', { who: username });
        await expect.poll(() => ran, { timeout: 10_000 }).toEqual([username]);
        // The task has run; the worker marks the job done (deletes its row) just after it returns.
        await expect.poll(() => jobs.counts(), { timeout: 10_000 }).toEqual({ queued: 0, running: 0, failed: 0 });
      } finally {
        await jobs.stop();
      }
    };

    const first = await openDatabase({ dataDir, logger });
    try {
      await check(first, 'first');
      // A table a later migration makes (as the owner) is covered by default privileges, before any re-grant.
      const owner = new pg.Client({ connectionString: await runningEmbeddedUrl(dataDir) });
      await owner.connect();
      try {
        await owner.query('CREATE TABLE "Later" ("id" serial PRIMARY KEY, "note" text)');
      } finally {
        await owner.end();
      }
      await first.prisma.$executeRaw`INSERT INTO "Later" ("note") VALUES ('ok')`;
      expect(await first.prisma.$queryRaw`SELECT "id", "note" FROM "Later"`).toEqual([{ id: 1, note: 'ok' }]);
      await expect(first.prisma.$executeRawUnsafe('DROP TABLE "Later"')).rejects.toThrow(/42501/);
    } finally {
      await first.close();
    }
    const password = await readFile(path.join(dataDir, 'postgres-app.password'), 'utf8');
    expect(first.url).not.toContain((await readFile(path.join(dataDir, 'postgres.password'), 'utf8')).trim());

    const second = await openDatabase({ dataDir, logger });
    try {
      await check(second, 'second');
      expect(await second.prisma.user.count()).toBe(2);
    } finally {
      await second.close();
    }
    expect(await readFile(path.join(dataDir, 'postgres-app.password'), 'utf8')).toBe(password);
  });
});
