import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../graphql/context.js';
import { isClientError } from '../graphql/errors.js';
import { checkCost, checkVariables } from '../graphql/limits.js';
import { AppError, ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { rateLimitHeaders, type RateLimits } from '../lib/rate-limits.js';
import { spendBudget } from './budgets.js';
import type { Metrics } from './metrics.js';

/** The first root field of an operation: a bounded label for logs and metrics. */
export function rootFieldOf(operation: OperationDefinitionNode | null | undefined): string {
  const first = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return first?.kind === Kind.FIELD ? first.name.value : 'unknown';
}

/**
 * Logs each operation (name, duration, viewer; never variables, which carry
 * passwords and message text), logs unexpected errors with their stack, and
 * records metrics.
 */
export function operationLogPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async didEncounterErrors({ errors, operation }) {
          for (const error of errors) {
            if (!isClientError(error)) {
              contextValue.logger.error(
                { err: error.originalError ?? error, path: error.path, field: rootFieldOf(operation) },
                'operation failed unexpectedly',
              );
            }
          }
        },
        async willSendResponse({ operation, response, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const type = operation?.operation ?? 'invalid';
          const field = rootFieldOf(operation);
          const failed = (errors?.length ?? 0) > 0 || (response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0);
          metrics.graphqlOperations.inc({ type, field, transport: 'http', outcome: failed ? 'error' : 'ok' });
          metrics.graphqlDuration.observe({ type, field, transport: 'http' }, seconds);
          // Checked on the root logger: the context's child logger is made on first use.
          if (logger.isLevelEnabled('info'))
            contextValue.logger.info(
              { operation: operation?.name?.value ?? null, type, field, ms: Math.round(seconds * 1000), ok: !failed },
              'graphql operation',
            );
        },
      };
    },
  };
}

/**
 * Refuses, before anything runs, variables carrying a NUL character and
 * operations whose estimated cost is over the limit (the same checks as over
 * WebSocket). Thrown here, a refusal would be HTTP 500 by Apollo's default:
 * {@link clientErrorStatusPlugin} makes it 400.
 */
export function queryLimitsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operation }) {
          checkVariables(request.variables);
          // No such operation (a wrong operationName): execution says so, as a 400.
          if (operation) checkCost(schema, document, request.variables, request.operationName);
        },
      };
    },
  };
}

/**
 * Subscriptions are served over graphql-ws only: over HTTP, graphql-js would
 * run the subscription's resolver as a query's, without an event (a TypeError).
 */
export function subscriptionsOverWebSocketPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new AppError(
              ErrorCode.BAD_USER_INPUT,
              'Subscriptions are served over WebSocket: connect to /graphql with the graphql-transport-ws subprotocol (graphql-ws).',
            );
          }
        },
      };
    },
  };
}

/** HTTP status of a request refused before it ran, by the code of its first error. */
const STATUS_OF_CODE: Partial<Record<string, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.RATE_LIMITED]: 429,
};

/**
 * Apollo answers HTTP 500 for an error thrown before execution (a plugin's
 * `didResolveOperation`, say) unless the error carries `extensions.http`. A
 * request refused before it ran with one of our client codes gets that code's
 * status instead (BAD_USER_INPUT: 400), whichever code path reached Apollo.
 */
export function clientErrorStatusPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || (response.http.status ?? 500) < 500) return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined || !errors?.length) return;
          if (!errors.every((error) => STATUS_OF_CODE[error.extensions?.['code'] as string] !== undefined)) return;
          response.http.status = STATUS_OF_CODE[errors[0]!.extensions!['code'] as string]!;
        },
      };
    },
  };
}

/**
 * Every operation spends a budget (budgets.ts: RATE_LIMIT_API, or
 * RATE_LIMIT_SIGNALS for typing and receipts) of the viewer, or of the IP when
 * signed out. Answers carry RateLimit headers; a refusal is HTTP 429 with
 * Retry-After and `extensions.policy`.
 */
export function rateLimitPlugin(limits: Pick<RateLimits, 'api' | 'signals'>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, response, operation }) {
          try {
            const state = await spendBudget(limits, operation, { userId: contextValue.viewer?.id ?? null, ip: contextValue.clientIp });
            if (state) for (const [name, value] of Object.entries(rateLimitHeaders(state))) response.http.headers.set(name, value);
          } catch (error) {
            if (error instanceof AppError && error.code === 'RATE_LIMITED') {
              const retryAfter = String(error.extensions['retryAfterSeconds']);
              response.http.headers.set('Retry-After', retryAfter);
              const { code: _code, ...extensions } = error.extensions;
              throw new AppError('RATE_LIMITED', error.message, { ...extensions, http: { status: 429 } });
            }
            throw error;
          }
        },
      };
    },
  };
}
