import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test/database.js';
import { openDatabase } from './database.js';
import { createQueryCounter } from './prisma-client.js';

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
});
