import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../graphql/context.js';
import { isClientError } from '../graphql/errors.js';
import { checkCost } from '../graphql/limits.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { rateLimitHeaders, type Limiter } from '../lib/rate-limits.js';
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
          const failed = (errors?.length ?? 0) > 0 ||
            (response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0);
          metrics.graphqlOperations.inc({ type, field, transport: 'http', outcome: failed ? 'error' : 'ok' });
          metrics.graphqlDuration.observe({ type, field, transport: 'http' }, seconds);
          // Checked on the root logger: the context's child logger is made on first use.
          if (logger.isLevelEnabled('info')) contextValue.logger.info(
            { operation: operation?.name?.value ?? null, type, field, ms: Math.round(seconds * 1000), ok: !failed },
            'graphql operation',
          );
        },
      };
    },
  };
}

/** Refuses operations whose estimated cost is over the limit before they run. */
export function queryCostPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          checkCost(schema, document, request.variables, request.operationName);
        },
      };
    },
  };
}

/**
 * RATE_LIMIT_API: every operation counts against the viewer's budget (or the
 * IP's when signed out). Answers carry RateLimit headers; a refusal is HTTP 429
 * with Retry-After.
 */
export function rateLimitPlugin(limiter: Limiter): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, response }) {
          const key = contextValue.viewer ? `user:${contextValue.viewer.id}` : `ip:${contextValue.clientIp}`;
          try {
            const state = await limiter.consume(key);
            if (state) for (const [name, value] of Object.entries(rateLimitHeaders(state))) response.http.headers.set(name, value);
          } catch (error) {
            if (error instanceof AppError && error.code === 'RATE_LIMITED') {
              const retryAfter = String(error.extensions['retryAfterSeconds']);
              response.http.headers.set('Retry-After', retryAfter);
              throw new AppError('RATE_LIMITED', error.message, { retryAfterSeconds: error.extensions['retryAfterSeconds'], http: { status: 429 } });
            }
            throw error;
          }
        },
      };
    },
  };
}
