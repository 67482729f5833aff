/**
 * Small helpers for PostgreSQL connection URLs, shared by the migration runner,
 * the embedded server and the test kit.
 */

/**
 * Returns `url` pointing at another database on the same server (same user,
 * password, host, port and query parameters).
 *
 * Done on the URL rather than with pg's `database` option because a
 * `connectionString` wins over every other pg option, so `{ connectionString,
 * database }` silently connects to the URL's database.
 */
export function withDatabaseName(url: string, databaseName: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(databaseName)}`;
  return parsed.toString();
}

/** The database a URL names (decoded), or `undefined` when it names none. */
export function databaseNameOf(url: string): string | undefined {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name === '' ? undefined : name;
}

/**
 * `host:port/database` without credentials, for logs and error messages: the
 * embedded server's URL carries its password.
 */
export function describeDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** Quotes an identifier for SQL that cannot take parameters (CREATE/DROP DATABASE). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
