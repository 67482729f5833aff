/**
 * `npm run admin -- create|promote|deactivate|activate USERNAME`: account
 * operations for operators, on the database the server uses (DATABASE_URL, or
 * the embedded server in DATA_DIR, also while `npm start` runs on it).
 *
 * `create` reads the password from the ADMIN_PASSWORD variable, or from the
 * first line of standard input (`echo "$PASS" | npm run admin -- create alice`).
 * Registration is open, so the name may belong to someone else already: `create`
 * refuses an existing non-admin account that has open sessions unless
 * `--force`, and promoting (`create --force` or `promote`) ends all of that
 * account's sessions, so nobody who signed in before holds an admin session.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { loadEnv } from '../../config/env.js';
import { createCliLogger, withDatabaseServer } from '../../db/cli-support.js';
import { applyMigrations } from '../../db/migrations.js';
import { createPrismaClient } from '../../db/prisma-client.js';
import { hashPassword } from '../auth/auth.passwords.js';
import { ensureAdminAccount } from '../auth/index.js';
import { checkPassword, normalizeUsername } from '../users/index.js';

const USAGE = 'Usage: npm run admin -- create|promote|deactivate|activate USERNAME [--force]';

async function readPassword(fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) process.stderr.write('Password (10–128 characters): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('no password given: set ADMIN_PASSWORD or pipe it on standard input');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const [command, rawUsername] = args.filter((arg) => arg !== '--force');
  if (!command || !rawUsername || !['create', 'promote', 'deactivate', 'activate'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env = loadEnv();
  const username = normalizeUsername(rawUsername);
  const logger = createCliLogger(env.logLevel === 'info' ? 'warn' : env.logLevel);
  return withDatabaseServer({ databaseUrl: env.databaseUrl, dataDir: env.dataDir, logLevel: env.logLevel }, logger, async (url) => {
    await applyMigrations(url, { logger });
    const prisma = createPrismaClient(url, { logger });
    try {
      if (command === 'create') {
        const existing = await prisma.user.findUnique({ where: { username }, select: { id: true, role: true } });
        if (existing && existing.role !== 'ADMIN' && !force) {
          const open = await prisma.session.count({ where: { userId: existing.id, revokedAt: null, expiresAt: { gt: new Date() } } });
          if (open > 0) {
            process.stderr.write(
              `${username} is an existing account with ${open} open session(s), perhaps not yours. ` +
                'Pick another name, or run again with --force to promote it, set its password and end its sessions.\n',
            );
            return 1;
          }
        }
        const password = checkPassword(await readPassword(env.adminPassword), 'password');
        const { promoted, endedSessions } = await ensureAdminAccount(prisma, username, await hashPassword(password));
        process.stdout.write(
          promoted
            ? `${username} existed and is now an admin; its password is set and its ${endedSessions} session(s) ended.\n`
            : `${username} is an admin; its password is set.\n`,
        );
        return 0;
      }
      const user = await prisma.user.findUnique({ where: { username }, select: { id: true } });
      if (!user) {
        process.stderr.write(`No user named ${username}.\n`);
        return 1;
      }
      if (command === 'promote') {
        // Sessions opened as a plain user end: the admin signs in again, knowingly.
        const [, ended] = await prisma.$transaction([
          prisma.user.update({ where: { id: user.id }, data: { role: 'ADMIN' } }),
          prisma.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: new Date() } }),
        ]);
        process.stdout.write(`${username} is now an admin; ${ended.count} session(s) ended, so sign in again.\n`);
      } else if (command === 'deactivate') {
        // Sessions end at once; a running server drops the user's sockets at its next check.
        await prisma.$transaction([
          prisma.user.update({ where: { id: user.id }, data: { active: false } }),
          prisma.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: new Date() } }),
        ]);
        process.stdout.write(`${username} is deactivated; their sessions have ended.\n`);
      } else {
        await prisma.user.update({ where: { id: user.id }, data: { active: true } });
        process.stdout.write(`${username} is active again.\n`);
      }
      await prisma.adminAuditLog.create({ data: { action: `CLI_${command.toUpperCase()}`, targetType: 'User', targetId: user.id, details: JSON.stringify({ username }) } });
      return 0;
    } finally {
      await prisma.$disconnect();
    }
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
