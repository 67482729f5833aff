import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, isClientErrorCode } from '../lib/errors.js';
import { tooManyTokens } from './limits.js';

// Errors graphql-js and Apollo raise about the request itself: the client's
// fault, with messages that describe only the query, so they are shown as
// BAD_USER_INPUT (the contract's one code for malformed input).
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** True when the error is one the client may see as it is. */
export function isClientError(error: GraphQLFormattedError | GraphQLError): boolean {
  const code = error.extensions?.['code'];
  if (isClientErrorCode(code) || REQUEST_ERROR_CODES.has(code as string)) return true;
  // graphql-js's own validation/coercion errors carry no code and no original error.
  return error instanceof GraphQLError && error.originalError === undefined && code === undefined;
}

/**
 * What the client sees. Known errors keep their message and code; errors of
 * the request itself (syntax, validation, variables) become BAD_USER_INPUT,
 * keeping what our own rules added (`reason`, the limit); anything else becomes
 * a bare INTERNAL_SERVER_ERROR: no stack, SQL or path leaves the server.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const code = formatted.extensions?.['code'];
  const base = {
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  const { stacktrace: _stack, exception: _exception, code: _code, ...extensions } = formatted.extensions ?? {};
  if (isClientErrorCode(code)) return { message: formatted.message, ...base, extensions: { ...extensions, code } };
  const tokens = code === 'GRAPHQL_PARSE_FAILED' ? tooManyTokens(formatted) : undefined;
  if (tokens) return { message: tokens.message, ...base, extensions: tokens.extensions };
  // Apollo fills in INTERNAL_SERVER_ERROR for errors without a code, such as its
  // own "provided sha does not match query": what the error itself carries counts.
  const ownCode = graphqlError ? graphqlError.extensions['code'] : code;
  const isRequestError =
    REQUEST_ERROR_CODES.has(code as string) || (graphqlError !== undefined && graphqlError.originalError === undefined && ownCode === undefined);
  if (isRequestError) {
    return { message: formatted.message, ...base, extensions: { ...extensions, code: ErrorCode.BAD_USER_INPUT } };
  }
  return { message: 'Internal server error', ...base, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/**
 * A validation message without graphql-js' "Did you mean …?" hint, which names
 * schema types and fields: with introspection off, errors must not hand out
 * the schema piece by piece. The same pattern as Apollo's
 * `hideSchemaDetailsFromClientErrors`, which does this over HTTP.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}
