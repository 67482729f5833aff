import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { BREAK, GraphQLError, Kind, getNullableType, isListType, visit, type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';
import { createRequire } from 'node:module';
import type { ComplexityEstimator, getComplexity as GetComplexity, simpleEstimator as SimpleEstimator } from 'graphql-query-complexity';
import { ErrorCode, queryTooComplex } from '../lib/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../lib/pagination.js';

// Its ESM build imports graphql/index.mjs, a second copy of graphql beside the
// CommonJS one everything else loads ("from another realm"); its CommonJS build
// shares ours.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as {
  getComplexity: typeof GetComplexity;
  simpleEstimator: typeof SimpleEstimator;
};

/** Limits on the shape of one operation; the same over HTTP and WebSocket. */
export const QUERY_LIMITS = {
  /** Nesting of fields; the deepest real client query (chat list with last message sender) is 7. */
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 10,
  /** Lexical tokens: stops a huge document before it is even parsed fully. */
  maxTokens: 3000,
  /** Estimated fields resolved (see connectionEstimator); a page of 50 chats with members and last message costs ~1,500. */
  maxCost: 10_000,
} as const;

// Report through the validation context, as graphql-js' own rules do, rather than
// throwing: a thrown error would surface as a 500 instead of a 400 with our code.
const report = {
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** Validation rules added to graphql-js' own (depth, aliases, directives). */
export const limitRules: ValidationRule[] = [
  maxDepthRule({ n: QUERY_LIMITS.maxDepth, ...report }),
  maxAliasesRule({ n: QUERY_LIMITS.maxAliases, ...report }),
  maxDirectivesRule({ n: QUERY_LIMITS.maxDirectives, ...report }),
] as unknown as ValidationRule[];

/**
 * A field with a `first` argument returns up to `first` items (default 20,
 * capped at 100), so what is selected under it counts that many times; other
 * lists (a chat's members) count as 10. Each field costs 1.
 */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if ('first' in args || field.args.some((arg) => arg.name === 'first')) {
    const first = typeof args['first'] === 'number' ? args['first'] : DEFAULT_PAGE_SIZE;
    return 1 + childComplexity * Math.min(Math.max(first, 1), MAX_PAGE_SIZE);
  }
  // A connection's `edges` are already counted by its `first`.
  if (isListType(getNullableType(field.type)) && field.name !== 'edges') return 1 + childComplexity * 10;
  return undefined;
};

/**
 * Costs of documents whose cost does not depend on their variables, by
 * operation name. Parsed documents are cached and reused by Apollo and by our
 * WebSocket server, so the same object comes back for the same query text.
 */
const fixedCosts = new WeakMap<DocumentNode, Map<string, number>>();

/** The estimate reads variables only through `first` and `@include`/`@skip` arguments. */
function costDependsOnVariables(document: DocumentNode): boolean {
  let depends = false;
  visit(document, {
    Argument(node) {
      if (node.value.kind === Kind.VARIABLE && (node.name.value === 'first' || node.name.value === 'if')) {
        depends = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return depends;
}

/** Refuses an operation whose estimated cost is over the limit, before anything runs. */
export function checkCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): void {
  const known = fixedCosts.get(document)?.get(operationName ?? '');
  const cost = known ?? estimateCost(schema, document, variables, operationName);
  if (known === undefined && !costDependsOnVariables(document)) {
    let byName = fixedCosts.get(document);
    if (!byName) fixedCosts.set(document, (byName = new Map()));
    byName.set(operationName ?? '', cost);
  }
  if (cost > QUERY_LIMITS.maxCost) {
    throw queryTooComplex(`Query is too expensive: estimated cost ${cost} is over the limit of ${QUERY_LIMITS.maxCost}. Ask for fewer items or fields.`, {
      cost,
      maxCost: QUERY_LIMITS.maxCost,
    });
  }
}

function estimateCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): number {
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Estimating coerces the variables first; a bad one is the client's mistake, said as execution would.
    throw new GraphQLError(error instanceof Error ? error.message : 'Invalid variables', { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  }
  return cost;
}
