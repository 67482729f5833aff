/**
 * `npm run admin -- create|promote|deactivate|activate USERNAME [--force]`:
 * account operations for operators, on the database the server uses
 * (DATABASE_URL, or the embedded server in DATA_DIR, also while `npm start`
 * runs on it). Configuration comes from src/config like the server's; the
 * writes are the admin module's own (AccountAdmin), so they are audited and
 * end sessions exactly as the admin API does.
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
import { loadEnv, type Env } from '../../config/env.js';
import { createCliLogger, databaseCliInput, withDatabaseServer } from '../../db/cli-support.js';
import { applyMigrations } from '../../db/migrations.js';
import { createPrismaClient } from '../../db/prisma-client.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { InProcessPubSub, type PubSub } from '../../realtime/pubsub.js';
import { RedisPubSub } from '../../realtime/redis-pubsub.js';
import { ensureAdminAccount, hashPassword } from '../auth/index.js';
import { checkPassword, normalizeUsername } from '../users/index.js';
import { AccountAdmin } from './admin.accounts.js';
import { AuthTopic } from '../auth/index.js';
import { EVERY_INSTANCE } from '../../realtime/pubsub.js';

const USAGE = 'Usage: npm run admin -- create|promote|deactivate|activate USERNAME [--force]';
const COMMANDS = ['create', 'promote', 'deactivate', 'activate'] as const;
type Command = (typeof COMMANDS)[number];

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

/** With REDIS_URL, running servers hear of ended sessions at once and close those sockets; without, at their next check. */
function cliPubSub(env: Env, logger: Logger): PubSub {
  return env.redisUrl ? new RedisPubSub({ url: env.redisUrl, logger }) : new InProcessPubSub();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const [command, rawUsername] = args.filter((arg) => arg !== '--force');
  if (!command || !rawUsername || !(COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env = loadEnv();
  const username = normalizeUsername(rawUsername);
  const input = databaseCliInput(env);
  const logger = createCliLogger(input.logLevel);
  return withDatabaseServer(input, logger, async (url) => {
    await applyMigrations(url, { logger });
    const prisma = createPrismaClient(url, { logger });
    const pubsub = cliPubSub(env, logger);
    try {
      return await run(command as Command, username, force, { env, prisma, pubsub, accounts: new AccountAdmin(prisma, pubsub, logger) });
    } finally {
      await pubsub.close();
      await prisma.$disconnect();
    }
  });
}

async function run(
  command: Command,
  username: string,
  force: boolean,
  { env, prisma, pubsub, accounts }: { env: Env; prisma: ReturnType<typeof createPrismaClient>; pubsub: PubSub; accounts: AccountAdmin },
): Promise<number> {
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
    const { user, promoted, endedSessions } = await ensureAdminAccount(prisma, username, await hashPassword(password));
    if (promoted) pubsub.publish(AuthTopic.SocketsToClose, EVERY_INSTANCE, { userId: user.id, sessionIds: null, reason: 'SESSION_REVOKED' });
    await accounts.audit({ cli: true }, 'CREATE', user.id, { username, promoted, endedSessions });
    process.stdout.write(
      promoted
        ? `${username} existed and is now an admin; its password is set and its ${endedSessions} session(s) ended.\n`
        : `${username} is an admin; its password is set.\n`,
    );
    return 0;
  }
  let user: Awaited<ReturnType<AccountAdmin['user']>>;
  try {
    user = await accounts.user(username, 'username');
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`No user named ${username}.\n`);
    return 1;
  }
  if (command === 'promote') {
    const { endedSessions } = await accounts.setRole({ cli: true }, user.id, 'ADMIN', { endSessions: true });
    process.stdout.write(`${username} is now an admin; ${endedSessions} session(s) ended, so sign in again.\n`);
  } else if (command === 'deactivate') {
    await accounts.setActive({ cli: true }, user.id, false);
    process.stdout.write(`${username} is deactivated; their sessions have ended.\n`);
  } else {
    await accounts.setActive({ cli: true }, user.id, true);
    process.stdout.write(`${username} is active again.\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
