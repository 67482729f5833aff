import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { resolvers } from './services.js';
import { authChecker } from '../graphql/auth-checker.js';
import { limitResponseSize } from '../graphql/response-limit.js';
import { DateTimeScalar } from '../graphql/scalars.js';

let built: Promise<GraphQLSchema> | undefined;

// type-graphql insists on a pubSub once any @Subscription exists, but ours all
// bring their own `subscribe` (services filter per-user topics), so topic-based
// ones would be a mistake: fail loudly if one is ever declared.
const noTopicSubscriptions = {
  publish(): never {
    throw new Error('Publish through the services, not type-graphql');
  },
  subscribe(): never {
    throw new Error('Declare subscriptions with a subscribe function, not topics');
  },
};

/** The one schema, built once per process from the type-graphql classes, its lists counted against MAX_RESPONSE_NODES. */
export function getSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...resolvers] as [Function, ...Function[]],
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    pubSub: noTopicSubscriptions,
  }).then(limitResponseSize);
  return built;
}

const HEADER = '# Generated from the type-graphql classes by `npm run schema:emit`. Do not edit by hand.\n\n';

/** SDL as committed in schema.graphql: sorted, so diffs show real changes only. */
export async function printSdl(): Promise<string> {
  return HEADER + printSchema(lexicographicSortSchema(await getSchema())) + '\n';
}

export async function emitSchemaFile(path: string): Promise<void> {
  await writeFile(path, await printSdl());
}
