import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../graphql/context.js';
import { isClientError } from '../graphql/errors.js';
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
export function operationLogPlugin(metrics: Metrics): ApolloServerPlugin<Context> {
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
          contextValue.logger.info(
            { operation: operation?.name?.value ?? null, type, field, ms: Math.round(seconds * 1000), ok: !failed },
            'graphql operation',
          );
        },
      };
    },
  };
}
