import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { decodeTimeCursor, encodeTimeCursor, newerThan, olderThan, pageSize, toPage } from './pagination.js';

/** Relay PageInfo (https://relay.dev/graphql/connections.htm). */
@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/**
 * Declares `<Name>Edge` and `<Name>Connection` object types for a node type.
 * `totalCount` is declared only where counting is cheap enough to offer.
 */
export function connectionTypes<T extends object>(name: string, node: ClassType<T>, options: { totalCount: boolean }) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }

  if (options.totalCount) {
    Field(() => Int, { description: 'Items in the whole list, not only this page.' })(ConnectionType.prototype, 'totalCount');
  }
  return ConnectionType as ClassType<Connection<T>>;
}

/** Builds a connection from one page of nodes and a cursor function. */
export function toConnection<T>(
  page: { nodes: T[]; hasNextPage: boolean; hasPreviousPage: boolean },
  cursorOf: (node: T) => string,
  totalCount?: number,
): Connection<T> {
  const edges = page.nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    ...(totalCount === undefined ? {} : { totalCount }),
  };
}

/**
 * One page of a list ordered newest first by a timestamp, ties broken by id:
 * spread `where`, `orderBy` and `take` into Prisma's findMany, then make the
 * rows a connection. `kind` names the list in its cursors, so a cursor from
 * one list is refused by another.
 */
export function newestFirst<F extends string>(kind: string, field: F, args: { first?: number | null; after?: string | null }) {
  const size = pageSize(args.first);
  const position = decodeTimeCursor(kind, args.after);
  return {
    size,
    where: olderThan(field, position),
    orderBy: [{ [field]: 'desc' }, { id: 'desc' }] as [{ [K in F]: 'desc' }, { id: 'desc' }],
    take: size + 1,
    connection<T extends { id: string } & { [K in F]: Date }>(rows: T[], totalCount?: number): Connection<T> {
      return toConnection(toPage(rows, size, position !== undefined), (row) => encodeTimeCursor(kind, row[field], row.id), totalCount);
    },
  };
}

/** {@link newestFirst}'s mirror: a list in time order, e.g. what is due soonest first. */
export function oldestFirst<F extends string>(kind: string, field: F, args: { first?: number | null; after?: string | null }) {
  const size = pageSize(args.first);
  const position = decodeTimeCursor(kind, args.after);
  return {
    size,
    where: newerThan(field, position),
    orderBy: [{ [field]: 'asc' }, { id: 'asc' }] as [{ [K in F]: 'asc' }, { id: 'asc' }],
    take: size + 1,
    connection<T extends { id: string } & { [K in F]: Date }>(rows: T[]): Connection<T> {
      return toConnection(toPage(rows, size, position !== undefined), (row) => encodeTimeCursor(kind, row[field], row.id));
    },
  };
}
