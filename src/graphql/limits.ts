import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  BREAK,
  GraphQLError,
  Kind,
  getNullableType,
  isListType,
  visit,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { createRequire } from 'node:module';
import type { ComplexityEstimator, getComplexity as GetComplexity, simpleEstimator as SimpleEstimator } from 'graphql-query-complexity';
import { ErrorCode, badInput, queryTooComplex } from '../lib/errors.js';
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
// graphql-armor words its refusals as "Syntax Error: …", which they are not.
const report = {
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(queryTooComplex(error.message.replace(/^Syntax Error: /, '')))],
};

/**
 * The introspection entry points. What is under them is graphql-js' own
 * `__Type`, `__Field`…, which never leads back to the schema's types, and
 * whose nesting graphql-js' MaxIntrospectionDepthRule (in `specifiedRules`)
 * and the token limit bound; so they count for neither depth nor cost.
 */
const isIntrospectionRoot = (name: string) => name === '__schema' || name === '__type';

/**
 * Depth of real fields, counted as graphql-armor's maxDepth counts it (a leaf
 * is a level, a fragment spread two), skipping both `__schema` and `__type`:
 * graphql-armor skips only `__schema`, so `__type(name:) { ...FullType }`
 * (depth 20) was refused.
 */
function maxDepthRule(limit: number): ValidationRule {
  return (context) => {
    // Depth inside each fragment once counted; -1 while it is being counted (a cycle, which NoFragmentCyclesRule refuses).
    const fragmentDepths = new Map<string, number>();
    const depthOf = (node: ASTNode, parentDepth: number): number => {
      if (node.kind === Kind.FIELD && isIntrospectionRoot(node.name.value)) return 0;
      if (node.kind === Kind.FRAGMENT_SPREAD) {
        const entry = parentDepth + 1;
        const name = node.name.value;
        const known = fragmentDepths.get(name);
        if (known !== undefined) return entry + Math.max(known, 0);
        const fragment = context.getFragment(name);
        if (!fragment) return entry;
        fragmentDepths.set(name, -1);
        const inside = depthOf(fragment, 0);
        fragmentDepths.set(name, inside);
        return entry + inside;
      }
      let depth = parentDepth;
      if ('selectionSet' in node && node.selectionSet) {
        for (const child of node.selectionSet.selections) depth = Math.max(depth, depthOf(child, parentDepth + 1));
      }
      return depth;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation, 0);
        if (depth > limit) {
          context.reportError(queryTooComplex(`Query depth limit of ${limit} exceeded, found ${depth}.`, { maxDepth: limit }));
        }
      },
    };
  };
}

/**
 * PostgreSQL text cannot hold U+0000 (it fails with 22021), and no client has
 * a reason to send one: refused in every string of the document here, and in
 * every variable by {@link checkVariables}, so no service has to remember it.
 */
const NUL = '\u0000';

const noNulCharacterRule: ValidationRule = (context): ASTVisitor => ({
  StringValue(node) {
    if (node.value.includes(NUL)) {
      context.reportError(
        new GraphQLError('Strings must not contain the NUL character (U+0000)', { nodes: node, extensions: { code: ErrorCode.BAD_USER_INPUT } }),
      );
    }
  },
});

/** Validation rules added to graphql-js' own (depth, aliases, directives, NUL characters). */
export const limitRules: ValidationRule[] = [
  maxDepthRule(QUERY_LIMITS.maxDepth),
  maxAliasesRule({ n: QUERY_LIMITS.maxAliases, ...report }) as unknown as ValidationRule,
  maxDirectivesRule({ n: QUERY_LIMITS.maxDirectives, ...report }) as unknown as ValidationRule,
  noNulCharacterRule,
];

/**
 * Refuses variables carrying a NUL character anywhere (values and keys, at any
 * depth), before the operation runs. `extensions.field` names the input field
 * holding it, or the variable itself (named, by habit, after its argument).
 * Only plain JSON is walked: an upload's placeholder is an object of graphql-upload's.
 */
export function checkVariables(variables: Readonly<Record<string, unknown>> | null | undefined): void {
  if (!variables) return;
  for (const [name, value] of Object.entries(variables)) {
    const at = name.includes(NUL) ? [] : nulIn(value);
    if (at) {
      const variable = name.replaceAll(NUL, '');
      throw badInput(`Variable "$${variable}" must not contain the NUL character (U+0000)`, at.at(-1) ?? variable);
    }
  }
}

/** The object keys down to the first NUL (list indices left out), or undefined when there is none. */
function nulIn(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? [] : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const at = nulIn(item);
      if (at) return at;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL)) return [];
    const at = nulIn(item);
    if (at) return [key, ...at];
  }
  return undefined;
}

/**
 * The refusal of a document over the token limit, from graphql-js' parser
 * ("Syntax Error: Document contains more than N tokens"); undefined for any
 * other error.
 */
export function tooManyTokens(error: { message: string }): GraphQLError | undefined {
  // graphql-js 16 words it "more that N tokens".
  if (!/^Syntax Error: Document contains more tha[nt] \d+ tokens/.test(error.message)) return undefined;
  return queryTooComplex(`Query is too large: it has more than ${QUERY_LIMITS.maxTokens} tokens. Ask for fewer fields.`, { maxTokens: QUERY_LIMITS.maxTokens });
}

/**
 * A field with a `first` argument returns up to `first` items (default 20,
 * capped at 100), so what is selected under it counts that many times; other
 * lists (a chat's members) count as 10. Each field costs 1.
 */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  // Tools (Sandbox, codegen, GraphiQL) send the standard introspection query, ~50,000 by this count.
  if (isIntrospectionRoot(field.name)) return 0;
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
    // Anything else (a TypeError) is ours, and its message is not for the client.
    if (!(error instanceof GraphQLError)) throw error;
    throw new GraphQLError(error.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  }
  return cost;
}
