/**
 * The role the server runs its queries as on the embedded database: data
 * rights only. Migrations (and the database commands) keep the owner, a
 * superuser; the app's pool never holds that, so an SQL injection cannot reach
 * `COPY … PROGRAM`, the server's files, DDL or other roles.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseNameOf, quoteIdentifier } from './database-url.js';
import { JOB_QUEUE_SCHEMA } from './job-queue-schema.js';

/** Name of the runtime role on the embedded cluster. */
export const APP_ROLE = 'payamak_app';

/**
 * Schemas whose objects the runtime reads and writes: ours, and the job
 * queue's (migrated by the owner with ours, see job-queue-schema.ts).
 */
const APP_SCHEMAS = ['public', JOB_QUEUE_SCHEMA] as const;

/** Tables the runtime has no business writing. */
const OWNER_ONLY_TABLES = ['_prisma_migrations'] as const;

/** Options for {@link ensureAppRole}. */
export interface EnsureAppRoleOptions {
  /** The role's password, kept by the caller (printable ASCII: it is not SASLprep-normalised). */
  password: string;
  /** @defaultValue {@link APP_ROLE} */
  roleName?: string;
}

/**
 * Creates the runtime role if missing and (re)grants its rights in the
 * database `ownerUrl` names, connecting as that URL's role, which must own
 * the schema objects (it ran the migrations). Idempotent and meant for every
 * start, after migrations: the grants then cover tables that new migrations
 * made, and default privileges cover what the owner creates later.
 *
 * The role may: connect; use the schemas; SELECT, INSERT, UPDATE, DELETE on
 * their tables (not `_prisma_migrations`); use sequences; execute functions.
 * It may not: create or alter anything, truncate, own anything, or act as a
 * superuser, create roles or databases, replicate or bypass row security:
 * those attributes are reset at every call, as is the password.
 *
 * Returns `ownerUrl` with the role's name and password in place of the owner's.
 */
export async function ensureAppRole(ownerUrl: string, options: EnsureAppRoleOptions): Promise<string> {
  const role = quoteIdentifier(options.roleName ?? APP_ROLE);
  const databaseName = databaseNameOf(ownerUrl);
  if (databaseName === undefined) throw new Error('ensureAppRole needs a URL that names a database');
  const database = quoteIdentifier(databaseName);
  // A verifier rather than the password: the statement may reach the server's log (on an error) or pg_stat_activity.
  const verifier = scramSha256Verifier(options.password);
  const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';

  const statements = [
    // Concurrent first starts on one cluster are serialised by the server's data folder; the handler is for a role made by hand.
    `DO $$ BEGIN CREATE ROLE ${role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    `ALTER ROLE ${role} WITH ${attributes} PASSWORD ${pg.escapeLiteral(verifier)}`,
    `GRANT CONNECT ON DATABASE ${database} TO ${role}`,
    ...APP_SCHEMAS.flatMap((name) => {
      const schema = quoteIdentifier(name);
      return [
        // PostgreSQL 15+ already withholds CREATE on public from PUBLIC; older clusters and hand edits may not.
        `REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC`,
        `GRANT USAGE ON SCHEMA ${schema} TO ${role}`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
        `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`,
        `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${role}`,
        // For objects the owner (this session's role, the one migrations run as) creates from now on.
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${role}`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT EXECUTE ON FUNCTIONS TO ${role}`,
      ];
    }),
    // graphile-worker turns row security on for its tables (with no policy, so only their owner sees rows):
    // the runtime role, which runs the worker, may see and change every row.
    `DO $$ DECLARE t record; BEGIN
       FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ${pg.escapeLiteral(JOB_QUEUE_SCHEMA)} AND c.relkind = 'r' AND c.relrowsecurity
                  AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'payamak_runtime') LOOP
         EXECUTE format('CREATE POLICY payamak_runtime ON %I.%I TO %s USING (true) WITH CHECK (true)', ${pg.escapeLiteral(JOB_QUEUE_SCHEMA)}, t.relname, ${pg.escapeLiteral(role)});
       END LOOP; END $$`,
    ...OWNER_ONLY_TABLES.map(
      (table) =>
        `DO $$ BEGIN IF to_regclass(${pg.escapeLiteral(quoteIdentifier(table))}) IS NOT NULL THEN ` +
        `REVOKE ALL ON ${quoteIdentifier(table)} FROM ${role}; END IF; END $$`,
    ),
  ];

  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // One simple query: one implicit transaction, so a failure grants nothing halfway.
    await client.query(statements.join(';\n'));
  } finally {
    await client.end();
  }

  const url = new URL(ownerUrl);
  url.username = encodeURIComponent(options.roleName ?? APP_ROLE);
  url.password = encodeURIComponent(options.password);
  return url.toString();
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802/7677),
 * the form PostgreSQL stores and accepts in `PASSWORD '…'` as already hashed,
 * computed the way libpq's `PQencryptPasswordConn` does.
 */
function scramSha256Verifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
