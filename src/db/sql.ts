/**
 * The few statements every send and every request runs, sent through pg
 * itself on the pool Prisma uses. Prisma's runtime costs about 125 µs of CPU
 * per statement on top of pg's 75–120 µs (10,000 `$queryRaw` against as many
 * `pool.query` of the same SELECT, 8 in flight, on the bench machine), and a
 * text send runs three such statements. Everything else stays on Prisma.
 *
 * Rows come back with pg's own parsers: uuid, enum and varchar as strings,
 * int4 as numbers, timestamptz as Dates, uuid[] and text[] as arrays; int8 as
 * a string (cast in SQL where a number is wanted).
 */
import type pg from 'pg';
import type { QueryEvent } from './prisma-client.js';

export interface Sql {
  /**
   * One statement with `$n` placeholders; its rows. With `name`, a prepared
   * statement: each connection parses and plans it once, then only binds and
   * runs it (PostgreSQL shares the machine's cores with us). One name, one text.
   */
  query<Row>(text: string, values: readonly unknown[], name?: string): Promise<Row[]>;
}

export function createSql(pool: pg.Pool, onQuery?: (event: QueryEvent) => void): Sql {
  return {
    async query<Row>(text: string, values: readonly unknown[], name?: string): Promise<Row[]> {
      const started = onQuery ? performance.now() : 0;
      try {
        const result = await pool.query({ text, values: values as unknown[], ...(name ? { name } : {}) });
        return result.rows as Row[];
      } finally {
        onQuery?.({ sql: text, durationMs: performance.now() - started });
      }
    },
  };
}
