import { defaultFieldResolver, getNullableType, isListType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { queryTooComplex } from '../lib/errors.js';
import type { Context } from './context.js';
import { isPromiseLike } from '../lib/promises.js';

/** What the wrappers read and write on the context. */
type Budget = Pick<Context, 'responseNodesLeft' | 'maxResponseNodes'>;

const limited = new WeakSet<GraphQLSchema>();

/**
 * Bounds a response by what it carries, not only by the cost estimate made
 * before it runs (graphql/limits.ts), which takes 10 for a list without
 * `first` (a chat's members): `chats(first: 100) { members … }` once returned
 * 30,720 member objects within the estimate.
 *
 * Every list field subtracts its length from the context's
 * `responseNodesLeft` (MAX_RESPONSE_NODES) as it resolves: one subtraction per
 * list, so aliases and fragments count as often as they are resolved. The list
 * that takes it below zero throws, and so does every field resolved after it
 * (one comparison per field): no further resolver runs, and the response
 * carries the error instead of the rest of the data. A subscription's context
 * refills it for each event (Context.renewLoaders).
 *
 * Resolvers are wrapped in place, once per schema; the limit itself is read
 * from each context, so servers with different limits share the schema.
 * Introspection types are graphql-js' own, shared by every schema: not wrapped.
 */
export function limitResponseSize(schema: GraphQLSchema): GraphQLSchema {
  if (limited.has(schema)) return schema;
  limited.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, Budget>;
      field.resolve = isListType(getNullableType(field.type)) ? countingItems(resolve) : refusingWhenSpent(resolve);
    }
  }
  return schema;
}

function refusingWhenSpent(resolve: GraphQLFieldResolver<unknown, Budget>): GraphQLFieldResolver<unknown, Budget> {
  return (source, args, context, info) => {
    if (context.responseNodesLeft < 0) throw responseTooLarge(context);
    return resolve(source, args, context, info);
  };
}

function countingItems(resolve: GraphQLFieldResolver<unknown, Budget>): GraphQLFieldResolver<unknown, Budget> {
  return (source, args, context, info) => {
    if (context.responseNodesLeft < 0) throw responseTooLarge(context);
    const result: unknown = resolve(source, args, context, info);
    return isPromiseLike(result) ? result.then((items) => spend(context, items)) : spend(context, result);
  };
}

function spend(context: Budget, items: unknown): unknown {
  // graphql-js accepts any iterable for a list; ours are arrays (anything else goes uncounted).
  if (Array.isArray(items)) {
    context.responseNodesLeft -= items.length;
    if (context.responseNodesLeft < 0) throw responseTooLarge(context);
  }
  return items;
}

function responseTooLarge(context: Budget) {
  return queryTooComplex(`Response is too large: it would carry more than ${context.maxResponseNodes} list items. Ask for fewer items or fields.`, {
    maxResponseNodes: context.maxResponseNodes,
  });
}
