import { badInput } from './errors.js';
import { isUuid } from './text.js';

/** Relay page size: `first` defaults to 20 and is capped at 100 (docs/api-contract.md). */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be a non-negative integer', 'first');
  return Math.min(first, MAX_PAGE_SIZE);
}

/**
 * Cursors are opaque to clients: base64url of a small JSON tuple naming the
 * kind of list, so a cursor from one list is refused by another.
 */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, arity: number): (string | number)[] {
  const invalid = () => badInput('after is not a valid cursor for this list', 'after');
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== kind || parsed.length !== arity + 1) throw invalid();
  const key = parsed.slice(1);
  if (!key.every((part) => typeof part === 'string' || typeof part === 'number')) throw invalid();
  return key as (string | number)[];
}

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** Rows fetched with `take: size + 1`: the extra row only says whether there is a next page. */
export function toPage<T>(rows: T[], size: number, hasPreviousPage: boolean): Page<T> {
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size, hasPreviousPage };
}

/** A position in a list ordered newest first by a timestamp, ties broken by id (descending). */
export interface TimePosition {
  at: Date;
  id: string;
}

export const encodeTimeCursor = (kind: string, at: Date, id: string): string => encodeCursor(kind, [at.getTime(), id]);

export function decodeTimeCursor(kind: string, after: string | null | undefined): TimePosition | undefined {
  if (!after) return undefined;
  const [at, id] = decodeCursor(kind, after, 2);
  const time = new Date(typeof at === 'number' ? at : Number.NaN);
  if (Number.isNaN(time.getTime()) || typeof id !== 'string' || !isUuid(id)) throw badInput('after is not a valid cursor for this list', 'after');
  return { at: time, id };
}

/** The Prisma `where` for "after this position" in a (field desc, id desc) list; empty for the first page. */
/** The mirror of {@link olderThan}, for lists in time order (oldest first). */
export function newerThan<F extends string>(field: F, position: TimePosition | undefined) {
  if (!position) return {};
  return { OR: [{ [field]: { gt: position.at } }, { [field]: position.at, id: { gt: position.id } }] } as {
    OR: ({ [K in F]: { gt: Date } } | ({ [K in F]: Date } & { id: { gt: string } }))[];
  };
}

export function olderThan<F extends string>(field: F, position: TimePosition | undefined) {
  if (!position) return {};
  return { OR: [{ [field]: { lt: position.at } }, { [field]: position.at, id: { lt: position.id } }] } as {
    OR: ({ [K in F]: { lt: Date } } | ({ [K in F]: Date } & { id: { lt: string } }))[];
  };
}
