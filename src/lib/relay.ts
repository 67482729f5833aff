import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

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
